package drill

import (
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/s3policy"
)

// TestDirOutsideEveryClusterPrefix: records of a cluster live beside the
// project folders, never below any cluster's prefix (its own included),
// and the cluster's credential policy grants nothing there.
func TestDirOutsideEveryClusterPrefix(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{"seed-eu/jnpllgp66z/xkc6lgmfsn", "seed-eu/_drills/jnpllgp66z/xkc6lgmfsn/"},
		{"a/b/seed-eu/jnpllgp66z/xkc6lgmfsn", "a/b/seed-eu/_drills/jnpllgp66z/xkc6lgmfsn/"},
		{"jnpllgp66z/xkc6lgmfsn", "_drills/jnpllgp66z/xkc6lgmfsn/"},
	} {
		got, err := Dir(tc.prefix, "jnpllgp66z", "xkc6lgmfsn")
		if err != nil || got != tc.want {
			t.Fatalf("Dir(%q) = %q, %v; want %q", tc.prefix, got, err, tc.want)
		}
		if strings.HasPrefix(got, tc.prefix+"/") {
			t.Fatalf("records %s lie inside the cluster prefix %s", got, tc.prefix)
		}
		key := Key(got, time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC), "0a1b2c3d", Failed)
		if !strings.HasSuffix(key, "/20261206T110000Z-0a1b2c3d-failed.json") || KeyOutcome(key) != Failed {
			t.Fatalf("key %s", key)
		}
		if kt, ok := KeyTime(key); !ok || kt.Hour() != 11 {
			t.Fatalf("KeyTime(%s) = %v, %v", key, kt, ok)
		}
		for _, st := range s3policy.Statements(s3policy.Target{Bucket: "b", Prefix: tc.prefix, ProjectID: "jnpllgp66z", ClusterID: "xkc6lgmfsn"}, "AK") {
			for _, r := range st.Resource {
				if obj, ok := strings.CutPrefix(r, s3policy.BucketARN("b")+"/"); ok && strings.HasPrefix(key, strings.TrimSuffix(obj, "*")) {
					t.Fatalf("statement %s grants %v on %s, which covers the record %s", st.Sid, st.Action, r, key)
				}
			}
			for _, cond := range st.Condition {
				for _, vs := range cond {
					for _, v := range vs {
						if strings.HasPrefix(got, strings.TrimSuffix(v, "*")) {
							t.Fatalf("statement %s lets the cluster list %s (s3:prefix %s)", st.Sid, got, v)
						}
					}
				}
			}
		}
	}
	if _, err := Dir("seed-eu/other/xkc6lgmfsn", "jnpllgp66z", "xkc6lgmfsn"); err == nil {
		t.Fatal("a prefix of another project was accepted")
	}
}
