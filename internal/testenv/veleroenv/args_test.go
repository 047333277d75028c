package veleroenv_test

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterbackup/clusterbackup/internal/testenv/veleroenv"
)

// TestUnitServerArgs: the rendered server flags pass on, except those the
// process outside a cluster sets itself.
func TestUnitServerArgs(t *testing.T) {
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"kind":     "Deployment",
		"metadata": map[string]any{"name": "velero"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "sidecar", "args": []any{"--ignored"}},
			map[string]any{"name": "velero", "args": []any{
				"server", "--uploader-type=kopia", "--features=EnableCSI", "--metrics-address=:8085",
				"--default-backup-storage-location=default", "--keep-latest-maintenance-jobs=3",
			}},
		}}}},
	}}
	other := &unstructured.Unstructured{Object: map[string]any{"kind": "DaemonSet", "metadata": map[string]any{"name": "velero"}}}
	got := veleroenv.ServerArgs(t, []*unstructured.Unstructured{other, deploy})
	want := []string{"--default-backup-storage-location=default", "--keep-latest-maintenance-jobs=3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ServerArgs = %q, want %q", got, want)
	}
}
