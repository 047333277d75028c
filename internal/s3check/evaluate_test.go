package s3check_test

import (
	"context"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

func secretMap(secrets ...*corev1.Secret) storage.SecretGetter {
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
			c := fixtures.GoodCBSL()
			c.Spec.ObjectStorage = &velerov1.ObjectStorageLocation{Bucket: "backups", CACertRef: &tc.ref}
			ev, err := s3check.Evaluate(context.Background(), c, secretMap(creds, ca), checker, false)
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
