package fleet_test

import (
	"context"
	"net/netip"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

const bucket = "fleet"

// allowLoopback admits the local versitygw.
var allowLoopback = s3check.Policy{Allow: s3check.PrefixList{netip.MustParsePrefix("127.0.0.0/8")}}

// cbsl returns a CBSL of project on endpoint with its credential Secret.
func cbsl(name, project, endpoint, ak, sk string) (*kkpv1.ClusterBackupStorageLocation, *corev1.Secret) {
	c := &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kubermatic", Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: "seed"}},
			Config:      map[string]string{"region": s3env.Region, "s3Url": endpoint, "s3ForcePathStyle": "true"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name + "-creds"}},
		},
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-creds", Namespace: "kubermatic", Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
		Data:       map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(ak), kkpv1.CredentialSecretAccessKey: []byte(sk)},
	}
	return c, s
}

func kkpCluster(id, project, cbslName string) *kkpv1.Cluster {
	return &kkpv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbslName}}},
	}
}

func secretsOf(list ...*corev1.Secret) storage.SecretGetter {
	return func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		for _, s := range list {
			if s.Namespace == ns && s.Name == name {
				return s, nil
			}
		}
		return nil, nil
	}
}

func schedule(t testing.TB, name, expr string) fleet.Schedule {
	t.Helper()
	s, err := fleet.ParseSchedule(name, expr, false, field.NewPath("schedules").Key(name).Child("schedule"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func byID(r *fleet.Report) map[string]fleet.Status {
	m := map[string]fleet.Status{}
	for _, c := range r.Clusters {
		m[c.ClusterID] = c
	}
	return m
}

func mustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
