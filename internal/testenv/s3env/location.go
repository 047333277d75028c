package s3env

import (
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Location returns a ClusterBackupStorageLocation name in KKP's namespace
// kubermatic for project, on s's bucket under prefix (path style, region
// Region), and the Secret it names, "<name>-credentials", holding the
// root keys of s in KKP's layout (accessKeyId, secretAccessKey) and
// labelled with the project, as a storage location of that project needs.
// The bucket is not created.
func Location(s *Server, name, bucket, prefix, project string) (*kkpv1.ClusterBackupStorageLocation, *corev1.Secret) {
	secretName := name + "-credentials"
	labels := func() map[string]string { return map[string]string{kkpv1.ProjectIDLabel: project} }
	cbsl := &kkpv1.ClusterBackupStorageLocation{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: kkpv1.KindClusterBackupStorageLocation},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kubermatic", Labels: labels()},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: prefix}},
			Config:      map[string]string{"region": Region, "s3Url": s.Endpoint, "s3ForcePathStyle": "true"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secretName}},
		},
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: "kubermatic", Labels: labels()},
		Data: map[string][]byte{
			kkpv1.CredentialAccessKeyID:     []byte(s.RootAccessKey),
			kkpv1.CredentialSecretAccessKey: []byte(s.RootSecretKey),
		},
	}
	return cbsl, secret
}
