package renderer

import (
	"context"
	"testing"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// TestWorkloadNames: the names the seed's loops read back are the ones the
// chart renders, in Velero's namespace.
func TestWorkloadNames(t *testing.T) {
	res, err := mustRenderer(t, Options{}).Render(context.Background(), loadCase(t, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Deployment": VeleroDeploymentName, "DaemonSet": NodeAgentDaemonSetName}
	for _, m := range res.Manifests {
		if want[m.Kind] == m.Name && m.Namespace == kkpv1.VeleroNamespace {
			delete(want, m.Kind)
		}
	}
	if len(want) > 0 {
		t.Fatalf("the render of testdata/plain lacks, in namespace %s: %v", kkpv1.VeleroNamespace, want)
	}
}
