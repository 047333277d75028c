package duration

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestYAML: a configuration file may write a Duration as Go's duration
// string or, as a time.Duration field was written before, as nanoseconds;
// both read the same value, and it is written back as the string.
func TestYAML(t *testing.T) {
	type config struct {
		Timeout Duration `json:"timeout"`
	}
	for in, want := range map[string]time.Duration{
		"timeout: 25s":           25 * time.Second,
		`timeout: "1h30m"`:       90 * time.Minute,
		"timeout: 25000000000":   25 * time.Second,
		"timeout: 0":             0,
		`timeout: "0"`:           0,
		"timeout: -1s":           -time.Second,
		"timeout: 3.0e+9":        3 * time.Second,
		"timeout: 500ms":         500 * time.Millisecond,
		"timeout: 9000000000000": 9000 * time.Second,
	} {
		var c config
		if err := yaml.UnmarshalStrict([]byte(in), &c); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if c.Timeout.Duration != want {
			t.Fatalf("%s: read %v, want %v", in, c.Timeout.Duration, want)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != "timeout: "+want.String() {
			t.Fatalf("%s: written as %q, want timeout: %s", in, got, want)
		}
	}
	for in, msg := range map[string]string{
		"timeout: 25":     "", // 25 ns: valid, if unlikely
		"timeout: 25x":    "want Go's form",
		"timeout: 2.5":    "whole nanoseconds",
		"timeout: [1]":    "want a string such as 25s",
		"timeout: {a: 1}": "want a string such as 25s",
		"timeout: true":   "want a string such as 25s",
	} {
		var c config
		err := yaml.UnmarshalStrict([]byte(in), &c)
		if msg == "" {
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: err %v, want one containing %q", in, err, msg)
		}
	}
}
