package user_test

import (
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

const alice = "alice"

func testConfig() velerorules.Config {
	return velerorules.Config{
		Managed:           velerorules.Location{Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "kkp/p1/c1"},
		ManagedBSLEditors: []string{"system:serviceaccount:argocd:argocd-application-controller"},
	}
}

func bsl(name, bucket, endpoint, prefix string, def bool) *velerov1.BackupStorageLocation {
	return &velerov1.BackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "velero"},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			Default:     def,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: prefix}},
			Config:      map[string]string{"s3Url": endpoint},
		},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
