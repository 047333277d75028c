package s3policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// FuzzTargetFor checks the confinement property: whenever storage.TargetFor
// accepts a
// cluster and its location, every object resource of the generated policy is
// "arn:aws:s3:::<bucket>/<prefix>/*", every bucket resource is the bucket
// itself, every listable s3:prefix lies inside "<prefix>/", the only wildcard
// is that trailing "*", and the JSON is valid.
func FuzzTargetFor(f *testing.F) {
	for _, s := range [][4]string{{"bkt", "", "p", "c"}, {"kkp-backups", "seed-eu/", "jnpllgp66z", "xkc6lgmfsn"}, {"b*", "a", "p", "c"}, {"bkt", "a*?$", "p", "c"}, {"bkt", "../x", "p", "c"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, bucket, cbslPrefix, project, clusterID string) {
		tgt, err := storage.TargetFor(cluster(clusterID, project, "loc"), location("loc", project, bucket, cbslPrefix))
		if err != nil {
			return
		}
		doc, err := BucketPolicy(Grant{Target: tgt, Principal: "AKID"})
		if err != nil {
			t.Fatalf("TargetFor accepted %+v but BucketPolicy refused: %v", tgt, err)
		}
		objects := "arn:aws:s3:::" + bucket + "/" + tgt.Prefix + "/*"
		for _, s := range doc.Statement {
			for _, r := range s.Resource {
				if r != objects && r != "arn:aws:s3:::"+bucket {
					t.Fatalf("resource %q outside %q", r, objects)
				}
				if strings.ContainsAny(strings.TrimSuffix(r, "/*"), "*?$") {
					t.Fatalf("resource %q holds a wildcard", r)
				}
			}
			for _, vals := range s.Condition {
				for _, v := range vals["s3:prefix"] {
					if !strings.HasPrefix(v, tgt.Prefix+"/") || strings.ContainsAny(strings.TrimSuffix(v, "*"), "*?$") {
						t.Fatalf("s3:prefix %q not confined to %q", v, tgt.Prefix+"/")
					}
				}
			}
		}
		b, err := doc.JSON()
		if err != nil || !json.Valid(b) {
			t.Fatalf("invalid JSON (%v):\n%s", err, b)
		}
	})
}
