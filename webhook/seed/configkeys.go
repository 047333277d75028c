package seed

import "slices"

// KnownConfigKeys are the BackupStorageLocation config keys that
// velero-plugin-for-aws v1.14.3 accepts for its object store
// (ObjectStore.Init in velero-plugin-for-aws/object_store.go), plus the three
// Velero adds to every object store config (bucket, prefix, caCert, see
// ValidateObjectStoreConfigKeys in velero's pkg/plugin/framework). The plugin
// refuses any other key, so the webhook refuses it at admission instead of
// leaving a BSL that never becomes Available.
var KnownConfigKeys = []string{
	"bucket",
	"caCert",
	"checksumAlgorithm",
	"credentialsFile",
	"customerKeyEncryptionFile",
	"customerKeyEncryptionSecret",
	"enableSharedConfig",
	"insecureSkipTLSVerify",
	"kmsKeyId",
	"prefix",
	"profile",
	"publicUrl",
	"region",
	"s3ForcePathStyle",
	"s3Url",
	"serverSideEncryption",
	"signatureVersion",
	"tagging",
}

// checksumAlgorithms are the values the plugin accepts for checksumAlgorithm
// ("" disables checksums): types.ChecksumAlgorithm.Values() of the S3 SDK the
// plugin v1.14.3 is built with (service/s3 v1.101.0).
var checksumAlgorithms = []string{"", "CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"}

func knownConfigKey(k string) bool { return slices.Contains(KnownConfigKeys, k) }
