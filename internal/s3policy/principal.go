package s3policy

import (
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxPrincipal bounds a principal's length (IAM ARNs are at most 2048 bytes).
const maxPrincipal = 2048

// ValidatePrincipal checks a principal given as an access key ID or an IAM
// ARN: non-empty, no wildcard (a "*" principal would make the grant public),
// no whitespace, quotes or control characters.
func ValidatePrincipal(p string, fldPath *field.Path) field.ErrorList {
	switch {
	case p == "":
		return field.ErrorList{field.Required(fldPath, "an access key ID or IAM ARN is required")}
	case len(p) > maxPrincipal:
		return field.ErrorList{field.TooLong(fldPath, "", maxPrincipal)}
	case strings.ContainsAny(p, "*?"):
		return field.ErrorList{field.Invalid(fldPath, p, "must not contain wildcards: the policy is for one dedicated credential")}
	case strings.IndexFunc(p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '\\' }) >= 0:
		return field.ErrorList{field.Invalid(fldPath, strings.Map(printable, p), "must not contain whitespace, quotes, backslashes or control characters")}
	}
	return nil
}

func printable(r rune) rune {
	if unicode.IsControl(r) {
		return '?'
	}
	return r
}
