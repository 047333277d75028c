package seed

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// ValidateCBSL checks everything about a CBSL that needs no other object and
// no network. It returns one field error per broken rule and warnings for
// accepted but risky settings. It assumes DefaultCBSL ran (the mutating
// webhook does that) but does not rely on it.
func ValidateCBSL(c *kkpv1.ClusterBackupStorageLocation) (field.ErrorList, []string) {
	var (
		errs     field.ErrorList
		warnings []string
		spec     = field.NewPath("spec")
	)
	errs = append(errs, validateProjectLabel(c.Labels)...)
	if p := c.Spec.Provider; p != ProviderAWS && p != "velero.io/"+ProviderAWS {
		errs = append(errs, field.NotSupported(spec.Child("provider"), p, []string{ProviderAWS}))
	}
	switch c.Spec.AccessMode {
	case "", velerov1.BackupStorageLocationAccessModeReadWrite, velerov1.BackupStorageLocationAccessModeReadOnly:
	default:
		errs = append(errs, field.NotSupported(spec.Child("accessMode"), string(c.Spec.AccessMode),
			[]string{string(velerov1.BackupStorageLocationAccessModeReadWrite), string(velerov1.BackupStorageLocationAccessModeReadOnly)}))
	}
	os := spec.Child("objectStorage")
	if c.Spec.ObjectStorage == nil {
		errs = append(errs, field.Required(os, "a CBSL needs objectStorage.bucket"))
	} else {
		errs = append(errs, ValidateBucketName(c.Spec.ObjectStorage.Bucket, os.Child("bucket"))...)
		errs = append(errs, prefix.Validate(c.Spec.ObjectStorage.Prefix, os.Child("prefix"))...)
		if ca := c.Spec.ObjectStorage.CACert; len(ca) > 0 {
			errs = append(errs, ValidateCACert(ca, os.Child("caCert"))...)
			if c.Spec.ObjectStorage.CACertRef != nil {
				errs = append(errs, field.Forbidden(os.Child("caCertRef"), "set either caCert or caCertRef, not both"))
			}
		}
		if ref := c.Spec.ObjectStorage.CACertRef; ref != nil && (ref.Name == "" || ref.Key == "") {
			errs = append(errs, field.Required(os.Child("caCertRef"), "needs name and key of a Secret in the CBSL's namespace"))
		}
	}
	cfgErrs, cfgWarnings := validateConfig(c.Spec.Config, spec.Child("config"))
	errs, warnings = append(errs, cfgErrs...), append(warnings, cfgWarnings...)
	cred := spec.Child("credential")
	switch {
	case c.Spec.Credential == nil:
		errs = append(errs, field.Required(cred, "name a Secret in the CBSL's namespace holding accessKeyId + secretAccessKey or an AWS credentials file"))
	case c.Spec.Credential.Name == "":
		errs = append(errs, field.Required(cred.Child("name"), "name a Secret in the CBSL's namespace"))
	}
	if c.Spec.Default {
		warnings = append(warnings, "spec.default has no meaning on a CBSL; each cluster's own BSL is made its default")
	}
	return errs, warnings
}

// validateProjectLabel requires the project-id label, a single safe prefix
// segment (it becomes one in every cluster's prefix).
func validateProjectLabel(labels map[string]string) field.ErrorList {
	p := field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel)
	id, ok := labels[kkpv1.ProjectIDLabel]
	if !ok {
		return field.ErrorList{field.Required(p, "a CBSL belongs to one project")}
	}
	return prefix.ValidateSegment(id, p)
}

// regionName admits AWS region names and the free-form names S3-compatible
// servers use, but nothing that could reshape a URL.
var regionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var bucketChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)

// ValidateBucketName checks S3's bucket naming rules (general purpose
// buckets): 3-63 characters of lowercase letters, digits, '.' and '-',
// starting and ending with a letter or digit, no "..", not an IPv4 address,
// none of the reserved prefixes and suffixes — and no '/', which Velero
// refuses and which usually means a prefix was put into the bucket name.
func ValidateBucketName(b string, fldPath *field.Path) field.ErrorList {
	switch {
	case b == "":
		return field.ErrorList{field.Required(fldPath, "an S3 bucket name")}
	case strings.Contains(b, "/"):
		return field.ErrorList{field.Invalid(fldPath, b, "must not contain '/'; put the folder into spec.objectStorage.prefix")}
	}
	var errs field.ErrorList
	bad := func(msg string) { errs = append(errs, field.Invalid(fldPath, b, msg)) }
	if len(b) < 3 || len(b) > 63 {
		bad("must be 3 to 63 characters long")
	}
	if !bucketChars.MatchString(b) {
		bad("must consist of lowercase letters, digits, '.' and '-', and start and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		bad("must not contain '..'")
	}
	if a, err := netip.ParseAddr(b); err == nil && a.Is4() {
		bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			bad(fmt.Sprintf("must not start with the reserved prefix %q", p))
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			bad(fmt.Sprintf("must not end with the reserved suffix %q", s))
		}
	}
	return errs
}

// ValidateEndpointURL checks an S3 endpoint URL: absolute http or https with
// a host, and no user info, query or fragment (credentials in a URL would end
// up in logs; a query or fragment would be mangled by request signing).
func ValidateEndpointURL(raw string, fldPath *field.Path) field.ErrorList {
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, redactURL(raw), "must be an absolute http or https URL")}
	}
	var errs field.ErrorList
	bad := func(msg string) { errs = append(errs, field.Invalid(fldPath, redactURL(raw), msg)) }
	if u.Scheme != "http" && u.Scheme != "https" {
		bad("scheme must be http or https")
	}
	if u.Host == "" || u.Hostname() == "" {
		bad("must name a host (an absolute URL like https://s3.example.com)")
	}
	if u.User != nil {
		bad("must not contain user info; credentials belong in the credential Secret")
	}
	if u.RawQuery != "" || u.ForceQuery {
		bad("must not contain a query")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		bad("must not contain a fragment")
	}
	return errs
}

// redactURL removes user info from a URL before it is echoed: everything
// before the last "@" (after the scheme) is replaced, whatever the URL's
// shape, so neither a parse quirk nor a fragment or path that happens to
// hold the password text can bring it back (FuzzValidateEndpointURL found
// "https://user:pw@#pw…", where the parsed form kept the fragment).
func redactURL(raw string) string {
	j := strings.LastIndex(raw, "@")
	if j < 0 {
		return raw
	}
	prefix := ""
	if i := strings.Index(raw, "://"); i >= 0 && i < j {
		prefix = raw[:i+3]
	}
	return prefix + "REDACTED@" + raw[j+1:]
}

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
	if r, ok := cfg[configRegion]; ok && r != "" && !regionName.MatchString(r) {
		errs = append(errs, field.Invalid(fldPath.Key(configRegion), r, "must be a region name: letters, digits, '.', '_' and '-', at most 64 characters"))
	}
	if s3URL, ok := cfg[configS3URL]; ok {
		errs = append(errs, ValidateEndpointURL(s3URL, fldPath.Key(configS3URL))...)
		if strings.TrimSpace(cfg[configRegion]) == "" {
			errs = append(errs, field.Required(fldPath.Key(configRegion), "a region is required with a custom s3Url (requests are signed for it)"))
		}
	}
	if pub, ok := cfg[configPublicURL]; ok {
		errs = append(errs, ValidateEndpointURL(pub, fldPath.Key(configPublicURL))...)
	}
	for _, k := range []string{configS3ForcePathStyle, configInsecureSkipTLSVerify, configEnableSharedConfig} {
		if v, ok := cfg[k]; ok && v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				errs = append(errs, field.Invalid(fldPath.Key(k), v, "must be true or false"))
			}
		}
	}
	if v, ok := cfg[configChecksumAlgorithm]; ok && !slices.Contains(checksumAlgorithms, v) {
		errs = append(errs, field.NotSupported(fldPath.Key(configChecksumAlgorithm), v, checksumAlgorithms))
	}
	if v := cfg[configCACert]; v != "" {
		errs = append(errs, ValidateCACert([]byte(v), fldPath.Key(configCACert))...)
	}
	if b, _ := strconv.ParseBool(cfg[configInsecureSkipTLSVerify]); b {
		warnings = append(warnings, "config.insecureSkipTLSVerify is true: the endpoint's TLS certificate is not verified")
	}
	for _, k := range []string{configCredentialsFile, configEnableSharedConfig} {
		if _, ok := cfg[k]; ok {
			warnings = append(warnings, fmt.Sprintf("config.%s is ignored by the admission check, which uses only spec.credential", k))
		}
	}
	return errs, warnings
}
