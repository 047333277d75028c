package gitops

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/renderer"
)

func fleetWith(t *testing.T, extra ...string) []renderer.Input {
	t.Helper()
	var b strings.Builder
	for _, it := range resourceList(t, "").Items {
		b.Write(it)
		b.WriteString("\n---\n")
	}
	for _, e := range extra {
		b.WriteString(e)
		b.WriteString("\n---\n")
	}
	fleet, err := renderer.ParseInputs("test", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return fleet
}

func TestSharedCredentials(t *testing.T) {
	cases := map[string]struct {
		secrets []string
		want    []renderer.SharedCredential
	}{
		"no Secrets among the inputs": {},
		"one CBSL used by two clusters": {
			secrets: []string{secretYAML("backups-eu-credentials", "AKIAEU"), secretYAML("team-b-credentials", "AKIAB")},
			want:    []renderer.SharedCredential{{AccessKeyID: "AKIAEU", Clusters: []string{"r7tqz9d2wk", "xkc6lgmfsn"}, CBSLs: []string{"kubermatic/backups-eu"}}},
		},
		"two CBSLs with one key": {
			secrets: []string{secretYAML("backups-eu-credentials", "AKIASAME"), secretYAML("team-b-credentials", "AKIASAME")},
			want:    []renderer.SharedCredential{{AccessKeyID: "AKIASAME", Clusters: []string{"m2vd8s5ptc", "r7tqz9d2wk", "xkc6lgmfsn"}, CBSLs: []string{"kubermatic/backups-eu", "kubermatic/team-b"}}},
		},
		"a single cluster's key is not shared": {
			secrets: []string{secretYAML("team-b-credentials", "AKIAB")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := renderer.SharedCredentials(fleetWith(t, tc.secrets...))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for _, s := range got {
				if strings.Contains(s.String(), secretKey) {
					t.Error("warning holds the secret key")
				}
			}
		})
	}
}
