package testenv

import (
	"sort"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// CompareObjectSets fails t for every object (keyed by identity, valued by
// its canonical encoding) that is missing from got, extra in got, or
// different, in key order; an empty want is itself a failure, since
// comparing against nothing proves nothing.
func CompareObjectSets(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference has no objects", what)
	}
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inW:
			t.Errorf("%s: extra object %s", what, k)
		case !inG:
			t.Errorf("%s: missing object %s", what, k)
		case w != g:
			t.Errorf("%s: object %s differs:\nwant %s\ngot  %s", what, k, w, g)
		}
	}
}

// GoodCBSL returns a valid CBSL "loc" of project p1 in namespace kubermatic
// on https://s3.example.com, bucket backups, prefix seed-eu, credential
// Secret "creds": a fixture for rule tests that need no server.
func GoodCBSL() *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "loc", Namespace: "kubermatic", Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "backups", Prefix: "seed-eu"}},
			Config:      map[string]string{"region": "eu-central-1", "s3Url": "https://s3.example.com"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}},
		},
	}
}
