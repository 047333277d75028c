package renderer

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// FuzzParseInputs feeds arbitrary streams to ParseInputs: it never panics,
// and every fleet it accepts has valid, pairwise non-nesting prefixes on
// each storage, each ending in the cluster's project and cluster ID.
func FuzzParseInputs(f *testing.F) {
	f.Add(fleetDocs(cbslDoc("loc", "p1", "aws", "b", "seed"), clusterDoc("c1", "p1", "loc"), clusterDoc("c2", "p1", "loc")))
	f.Add(fleetDocs(cbslDoc("a", "p1", "aws", "b", "x"), cbslDoc("b", "p2", "aws", "b", "x/p1/c1"), clusterDoc("c1", "p1", "a"), clusterDoc("c2", "p2", "b")))
	f.Add(fleetDocs(cbslDoc("loc", "p1", "aws", "b", "../x"), clusterDoc("c1", "p1", "loc")))
	f.Add("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, stream string) {
		fleet, err := ParseInputs("fuzz.yaml", strings.NewReader(stream))
		if err != nil {
			return
		}
		seen := map[string]Input{}
		for _, in := range fleet {
			p, err := in.Prefix()
			if err != nil {
				t.Fatalf("accepted input has no prefix: %v", err)
			}
			if len(prefix.Validate(p, field.NewPath("p"))) > 0 || !strings.HasSuffix("/"+p, "/"+in.ProjectID()+"/"+in.ClusterID()) {
				t.Fatalf("bad prefix %q for %s/%s", p, in.ProjectID(), in.ClusterID())
			}
			key := storageKey(in)
			for q, other := range seen {
				if storageKey(other) == key && prefix.Nested(p, q) {
					t.Fatalf("accepted nesting prefixes %q and %q", p, q)
				}
			}
			seen[p] = in
		}
	})
}
