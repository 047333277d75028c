package s3policy

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

func cluster(name, project, cbsl string) *kkpv1.Cluster {
	c := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if project != "" {
		c.Labels[kkpv1.ProjectIDLabel] = project
	}
	if cbsl != "" {
		c.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl}}
	}
	return c
}

func location(name, project, bucket, prefix string) *kkpv1.ClusterBackupStorageLocation {
	l := &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kubermatic", Labels: map[string]string{}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: prefix}},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}},
		},
	}
	if project != "" {
		l.Labels[kkpv1.ProjectIDLabel] = project
	}
	return l
}

func TestValidatePrincipal(t *testing.T) {
	p := field.NewPath("principal")
	tests := map[string]struct {
		in   string
		want field.ErrorType
	}{
		"access key":  {in: "AKIAIOSFODNN7EXAMPLE"},
		"user arn":    {in: "arn:aws:iam::123456789012:user/backup-c1"},
		"empty":       {in: "", want: field.ErrorTypeRequired},
		"wildcard":    {in: "*", want: field.ErrorTypeInvalid},
		"arn pattern": {in: "arn:aws:iam::123456789012:user/*", want: field.ErrorTypeInvalid},
		"space":       {in: "AK IA", want: field.ErrorTypeInvalid},
		"quote":       {in: `AK"IA`, want: field.ErrorTypeInvalid},
		"too long":    {in: strings.Repeat("a", 2049), want: field.ErrorTypeTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := ValidatePrincipal(tc.in, p)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("unexpected errors %v", errs)
			case tc.want != "" && (len(errs) != 1 || errs[0].Type != tc.want || errs[0].Field != "principal"):
				t.Fatalf("errors = %v; want one %s", errs, tc.want)
			}
		})
	}
}
