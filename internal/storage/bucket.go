package storage

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

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
