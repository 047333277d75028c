package veleroenv

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// ServerArgs returns the server flags of the rendered velero
// container (Deployment velero in objs), except those Start sets for
// a process outside a cluster (uploader, features, metrics address), so the
// real server runs with the flags we ship and would refuse one it does not
// know. It fails the test when the render has no such container or flags.
func ServerArgs(t testenv.TB, objs []*unstructured.Unstructured) []string {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetName() != "velero" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			c, ok := c.(map[string]any)
			if !ok || c["name"] != "velero" {
				continue
			}
			var out []string
			args, _, _ := unstructured.NestedStringSlice(c, "args")
			for _, a := range args {
				switch {
				case a == "server", strings.HasPrefix(a, "--uploader-type"), strings.HasPrefix(a, "--features"), strings.HasPrefix(a, "--metrics-address"):
				default:
					out = append(out, a)
				}
			}
			if len(out) == 0 {
				t.Fatalf("veleroenv: the rendered velero container has no server flags to pass on")
			}
			return out
		}
	}
	t.Fatalf("veleroenv: the render holds no velero Deployment")
	return nil
}
