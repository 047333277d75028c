package renderer

import (
	"strings"
	"testing"
)

// TestSeedKKPTakeover: releaseLoop.kkpTakeover passes --release-kkp-takeover
// to the controllers (the release loop's flag); off by default.
func TestSeedKKPTakeover(t *testing.T) {
	for name, tc := range map[string]struct {
		values map[string]any
		want   bool
	}{
		"default": {nil, false},
		"on":      {map[string]any{"releaseLoop": map[string]any{"enabled": true, "kkpTakeover": true}}, true},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := RenderSeed(SeedOptions{Values: seedValues(tc.values)})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(res.YAML()), "- --release-kkp-takeover\n"); got != tc.want {
				t.Fatalf("--release-kkp-takeover rendered: %v, want %v", got, tc.want)
			}
		})
	}
}
