package seed

import (
	"context"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

func secretMap(secrets ...*corev1.Secret) SecretGetter {
	return func(_ context.Context, ns, name string) (*corev1.Secret, error) {
		for _, s := range secrets {
			if s.Namespace == ns && s.Name == name {
				return s, nil
			}
		}
		return nil, nil
	}
}

// TestEvaluateCACertRef: a caCertRef must name an existing Secret key with
// PEM certificates; the check does not run while it does not.
func TestEvaluateCACertRef(t *testing.T) {
	creds := &corev1.Secret{}
	creds.Namespace, creds.Name, creds.Labels = "kubermatic", "creds", map[string]string{kkpv1.ProjectIDLabel: "p1"}
	creds.Data = map[string][]byte{"accessKeyId": []byte("AK"), "secretAccessKey": []byte("SK")}
	ca := &corev1.Secret{}
	ca.Namespace, ca.Name, ca.Labels = "kubermatic", "ca", map[string]string{kkpv1.ProjectIDLabel: "p1"}
	ca.Data = map[string][]byte{"bad.pem": []byte("nope")}
	checker := s3check.New(s3check.Options{})
	for name, tc := range map[string]struct {
		ref  corev1.SecretKeySelector
		want field.ErrorType
		at   string
	}{
		"missing secret": {corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "ca.pem"}, field.ErrorTypeNotFound, "spec.objectStorage.caCertRef.name"},
		"missing key":    {corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}, Key: "ca.pem"}, field.ErrorTypeInvalid, "spec.objectStorage.caCertRef.key"},
		"not PEM":        {corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}, Key: "bad.pem"}, field.ErrorTypeInvalid, "spec.objectStorage.caCertRef"},
	} {
		t.Run(name, func(t *testing.T) {
			c := goodCBSL()
			c.Spec.ObjectStorage = &velerov1.ObjectStorageLocation{Bucket: "backups", CACertRef: &tc.ref}
			ev, err := Evaluate(context.Background(), c, secretMap(creds, ca), checker, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Errors) != 1 || ev.Errors[0].Type != tc.want || ev.Errors[0].Field != tc.at || ev.Check != nil {
				t.Fatalf("errors %v, check %v", ev.Errors, ev.Check)
			}
		})
	}
	if st := checker.Stats(); st.Checks != 0 {
		t.Fatalf("%d checks ran for invalid CBSLs", st.Checks)
	}
}

func TestJitter(t *testing.T) {
	for range 100 {
		if d := jitter(5 * time.Minute); d < 270*time.Second || d > 330*time.Second {
			t.Fatalf("jitter(5m) = %s", d)
		}
	}
}

func goodCBSL() *kkpv1.ClusterBackupStorageLocation {
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
