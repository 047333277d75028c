package renderer

import (
	"strings"
	"testing"
)

// TestSeedLeaderElection: by default the seed chart runs the loops (the
// controllers Deployment) on the Lease holder only (--leader-elect in the
// release namespace) and grants the Lease, by name, in that namespace, to
// the controllers' service account; leaderElection.id renames both;
// leaderElection.enabled=false renders neither flag nor Role.
func TestSeedLeaderElection(t *testing.T) {
	for name, tc := range map[string]struct {
		values map[string]any
		want   []string
		role   bool
	}{
		"default": {nil, []string{"- --leader-elect\n", `"--leader-elect-id=clusterbackup-seed-controllers"`, `"--leader-elect-namespace=clusterbackup"`}, true},
		"renamed": {map[string]any{"namespace": "backup-system", "leaderElection": map[string]any{"id": "seed-lock"}},
			[]string{`"--leader-elect-id=seed-lock"`, `"--leader-elect-namespace=backup-system"`, `resourceNames: ["seed-lock"]`}, true},
		"disabled": {map[string]any{"leaderElection": map[string]any{"enabled": false}}, nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := RenderSeed(SeedOptions{Values: seedValues(tc.values)})
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.YAML())
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("render lacks %q", w)
				}
			}
			for _, m := range res.Manifests {
				if m.Kind == "Deployment" && m.Name == "clusterbackup-seed" && strings.Contains(string(m.YAML), "--leader-elect") {
					t.Error("the webhook Deployment passes --leader-elect; only the controllers run loops")
				}
			}
			if !tc.role && strings.Contains(out, "--leader-elect") {
				t.Error("leader election disabled, but the Deployment passes --leader-elect")
			}
			roles := 0
			for _, m := range res.Manifests {
				if (m.Kind == "Role" || m.Kind == "RoleBinding") && m.Name == "clusterbackup-seed-controllers-leader-election" {
					roles++
					if m.Kind == "Role" && !strings.Contains(string(m.YAML), `apiGroups: ["coordination.k8s.io"]`) {
						t.Errorf("the leader election Role grants no leases:\n%s", m.YAML)
					}
				}
			}
			if want := map[bool]int{true: 2, false: 0}[tc.role]; roles != want {
				t.Errorf("%d leader election Role/RoleBinding objects, want %d", roles, want)
			}
		})
	}
}
