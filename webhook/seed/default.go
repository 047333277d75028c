package seed

import (
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// Config keys of the AWS object store that the rules below refer to.
const (
	configS3URL                 = "s3Url"
	configRegion                = "region"
	configS3ForcePathStyle      = "s3ForcePathStyle"
	configInsecureSkipTLSVerify = "insecureSkipTLSVerify"
	configProfile               = "profile"
	configPublicURL             = "publicUrl"
	configCACert                = "caCert"
	configChecksumAlgorithm     = "checksumAlgorithm"
	configCredentialsFile       = "credentialsFile"
	configEnableSharedConfig    = "enableSharedConfig"
)

// ProviderAWS is the only provider a CBSL may use.
const ProviderAWS = "aws"

// DefaultCBSL fills a CBSL's defaults in place: provider "aws", accessMode
// ReadWrite, and s3ForcePathStyle "true" when an s3Url is set and the key is
// absent (S3-compatible servers rarely serve virtual-hosted buckets). It
// never overwrites a value the user set.
func DefaultCBSL(c *kkpv1.ClusterBackupStorageLocation) {
	if c.Spec.Provider == "" {
		c.Spec.Provider = ProviderAWS
	}
	if c.Spec.AccessMode == "" {
		c.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadWrite
	}
	if c.Spec.Config[configS3URL] != "" {
		if _, ok := c.Spec.Config[configS3ForcePathStyle]; !ok {
			c.Spec.Config[configS3ForcePathStyle] = "true"
		}
	}
}
