package user_test

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// TestKKPLocationPatch: a Backup and a Schedule exactly as KKP's dashboard
// sends them (storageLocation default-cluster-backup-bsl) are patched to
// the managed BSL, annotated (added to existing annotations, or as the
// whole member when there are none) and answered with the warning.
func TestKKPLocationPatch(t *testing.T) {
	base, c := tlsServer(t)
	const warning = `storageLocation "default-cluster-backup-bsl" (KKP's name) is written to this cluster's managed BSL "default"`
	tests := []struct {
		path, kind, obj string
		want            []string
	}{
		{user.MutateBackupPath, "Backup",
			`{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"test-backup","namespace":"velero"},"spec":{"storageLocation":"default-cluster-backup-bsl","includedNamespaces":["app"],"includedResources":["configmaps"]}}`,
			[]string{`"path":"/spec/storageLocation","value":"default"`, `"path":"/metadata/annotations","value":{"clusterbackup.io/storage-location-mapped-from":"default-cluster-backup-bsl"}`}},
		{user.MutateSchedulePath, "Schedule",
			`{"apiVersion":"velero.io/v1","kind":"Schedule","metadata":{"name":"daily","namespace":"velero","annotations":{"a/b":"c"}},"spec":{"schedule":"@daily","template":{"storageLocation":"default-cluster-backup-bsl"}}}`,
			[]string{`"path":"/spec/template/storageLocation","value":"default"`, `"path":"/metadata/annotations/clusterbackup.io~1storage-location-mapped-from","value":"default-cluster-backup-bsl"`}},
	}
	for _, tc := range tests {
		_, resp := post(t, c, base+tc.path, "application/json", review(tc.kind, "CREATE", tc.obj, nil, false))
		if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("%s: want an allowed JSON patch, got %+v", tc.kind, resp)
		}
		for _, want := range tc.want {
			if !strings.Contains(string(resp.Patch), want) {
				t.Errorf("%s: patch %s lacks %s", tc.kind, resp.Patch, want)
			}
		}
		if strings.Join(resp.Warnings, "\n") != warning {
			t.Errorf("%s: warnings %q, want %q", tc.kind, resp.Warnings, warning)
		}
	}
}
