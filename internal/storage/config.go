package storage

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Config keys of the AWS object store that the rules refer to.
const (
	ConfigS3URL                 = "s3Url"
	ConfigRegion                = "region"
	ConfigS3ForcePathStyle      = "s3ForcePathStyle"
	ConfigInsecureSkipTLSVerify = "insecureSkipTLSVerify"
	ConfigProfile               = "profile"
	ConfigPublicURL             = "publicUrl"
	ConfigCACert                = "caCert"
	ConfigChecksumAlgorithm     = "checksumAlgorithm"
	ConfigCredentialsFile       = "credentialsFile"
	ConfigEnableSharedConfig    = "enableSharedConfig"
)

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

// regionName admits AWS region names and the free-form names S3-compatible
// servers use, but nothing that could reshape a URL.
var regionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// profileName admits AWS profile names, nothing that could end the
// credentials file's "[profile]" line and start another line or section.
var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// validateConfig checks the AWS plugin config: only known keys, parseable
// values, a region with a custom endpoint.
func validateConfig(cfg map[string]string, fldPath *field.Path) (field.ErrorList, []string) {
	var (
		errs     field.ErrorList
		warnings []string
	)
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !knownConfigKey(k) {
			errs = append(errs, field.Invalid(fldPath.Key(k), k,
				"unknown config key; the AWS plugin knows only: "+strings.Join(KnownConfigKeys, ", ")))
		}
	}
	if r, ok := cfg[ConfigRegion]; ok && r != "" && !regionName.MatchString(r) {
		errs = append(errs, field.Invalid(fldPath.Key(ConfigRegion), r, "must be a region name: letters, digits, '.', '_' and '-', at most 64 characters"))
	}
	if p, ok := cfg[ConfigProfile]; ok && p != "" && !profileName.MatchString(p) {
		errs = append(errs, field.Invalid(fldPath.Key(ConfigProfile), p, "must be a profile name: letters, digits, '.', '_' and '-', at most 64 characters (it becomes a [section] of the AWS credentials file)"))
	}
	if s3URL, ok := cfg[ConfigS3URL]; ok {
		errs = append(errs, ValidateEndpointURL(s3URL, fldPath.Key(ConfigS3URL))...)
		if strings.TrimSpace(cfg[ConfigRegion]) == "" {
			errs = append(errs, field.Required(fldPath.Key(ConfigRegion), "a region is required with a custom s3Url (requests are signed for it)"))
		}
	}
	if pub, ok := cfg[ConfigPublicURL]; ok {
		errs = append(errs, ValidateEndpointURL(pub, fldPath.Key(ConfigPublicURL))...)
	}
	for _, k := range []string{ConfigS3ForcePathStyle, ConfigInsecureSkipTLSVerify, ConfigEnableSharedConfig} {
		if v, ok := cfg[k]; ok && v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				errs = append(errs, field.Invalid(fldPath.Key(k), v, "must be true or false"))
			}
		}
	}
	if v, ok := cfg[ConfigChecksumAlgorithm]; ok && !slices.Contains(checksumAlgorithms, v) {
		errs = append(errs, field.NotSupported(fldPath.Key(ConfigChecksumAlgorithm), v, checksumAlgorithms))
	}
	if v := cfg[ConfigCACert]; v != "" {
		errs = append(errs, ValidateCACert([]byte(v), fldPath.Key(ConfigCACert))...)
	}
	if b, _ := strconv.ParseBool(cfg[ConfigInsecureSkipTLSVerify]); b {
		warnings = append(warnings, "config.insecureSkipTLSVerify is true: the endpoint's TLS certificate is not verified")
	}
	for _, k := range []string{ConfigCredentialsFile, ConfigEnableSharedConfig} {
		if _, ok := cfg[k]; ok {
			warnings = append(warnings, fmt.Sprintf("config.%s is ignored by the admission check, which uses only spec.credential", k))
		}
	}
	return errs, warnings
}
