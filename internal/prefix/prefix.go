// Package prefix holds the one implementation of clusterbackup's per-cluster
// object-store prefix rules, shared by the renderer, the chart's tests, the
// webhook and the CLI.
//
// A cluster's effective prefix is join(CBSL prefix, projectID, clusterID) by
// whole path segments. Velero runs path.Join on prefixes, which collapses "..",
// so a prefix is accepted only when every segment is non-empty, not "." or "..",
// and free of backslashes and control characters, and it never starts with "/".
// A single trailing "/" is tolerated (Velero trims it) and removed by Normalize.
package prefix

import (
	"fmt"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxLength is the longest prefix accepted; S3 keys are at most 1024 bytes and
// Velero appends its own folders below the prefix.
const MaxLength = 512

// Normalize removes one trailing "/" from a prefix. It does not validate.
func Normalize(p string) string { return strings.TrimSuffix(p, "/") }

// Validate checks a (possibly empty) prefix and returns one error per broken
// rule, each at fldPath.
func Validate(p string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p == "" {
		return nil
	}
	if len(p) > MaxLength {
		errs = append(errs, field.TooLong(fldPath, p, MaxLength))
	}
	if strings.HasPrefix(p, "/") {
		errs = append(errs, field.Invalid(fldPath, p, "must not start with '/'"))
	}
	if strings.Contains(p, `\`) {
		errs = append(errs, field.Invalid(fldPath, p, `must not contain a backslash '\'`))
	}
	if strings.IndexFunc(p, unicode.IsControl) >= 0 {
		errs = append(errs, field.Invalid(fldPath, strings.ToValidUTF8(strings.Map(visible, p), "?"), "must not contain control characters"))
	}
	if strings.HasPrefix(p, "/") {
		return errs // the empty first segment is already reported
	}
	for i, seg := range strings.Split(Normalize(p), "/") {
		switch seg {
		case "":
			errs = append(errs, field.Invalid(fldPath, p, fmt.Sprintf("segment %d is empty ('//'); every path segment must be non-empty", i+1)))
		case ".", "..":
			errs = append(errs, field.Invalid(fldPath, p, fmt.Sprintf("segment %d is %q; '.' and '..' are not allowed because Velero collapses them with path.Join", i+1, seg)))
		}
	}
	return errs
}

// ValidateSegment checks that an ID used as one prefix segment (a project or
// cluster ID) is a single safe segment: a lowercase RFC 1123 label.
func ValidateSegment(s string, fldPath *field.Path) field.ErrorList {
	if s == "" {
		return field.ErrorList{field.Required(fldPath, "must be a non-empty RFC 1123 label")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(fldPath, strings.Map(visible, s), "must be a single safe path segment: "+msg))
	}
	return errs
}

// Join returns the effective prefix of a cluster: the CBSL prefix, the project
// ID and the cluster ID joined by "/", after checking each part.
func Join(cbslPrefix, projectID, clusterID string) (string, field.ErrorList) {
	errs := Validate(cbslPrefix, field.NewPath("spec", "objectStorage", "prefix"))
	errs = append(errs, ValidateSegment(projectID, field.NewPath("metadata", "labels").Key("project-id"))...)
	errs = append(errs, ValidateSegment(clusterID, field.NewPath("metadata", "name"))...)
	if len(errs) > 0 {
		return "", errs
	}
	parts := []string{projectID, clusterID}
	if base := Normalize(cbslPrefix); base != "" {
		parts = append([]string{base}, parts...)
	}
	joined := strings.Join(parts, "/")
	if len(joined) > MaxLength {
		// Each part fits, the whole does not: the CBSL prefix leaves too
		// little room for this project and cluster.
		return "", field.ErrorList{field.Invalid(field.NewPath("spec", "objectStorage", "prefix"), strings.Map(visible, cbslPrefix),
			fmt.Sprintf("the cluster's effective prefix <prefix>/%s/%s would be %d bytes, more than %d", projectID, clusterID, len(joined), MaxLength))}
	}
	return joined, nil
}

// Equal reports whether two prefixes name the same folder once normalized.
func Equal(a, b string) bool { return Normalize(a) == Normalize(b) }

// Contains reports whether child is parent itself or lies below it, comparing
// whole segments: "p/c1" contains "p/c1/x" but not "p/c10". The empty prefix
// (the bucket root) contains everything.
func Contains(parent, child string) bool {
	parent, child = Normalize(parent), Normalize(child)
	if parent == "" || parent == child {
		return true
	}
	return strings.HasPrefix(child, parent+"/")
}

// Nested reports whether two prefixes overlap: equal, or one inside the other.
// Velero marks a location invalid when its prefix root holds anything but its
// own folders, so two clusters' prefixes must never nest.
func Nested(a, b string) bool { return Contains(a, b) || Contains(b, a) }

// visible replaces control characters so error messages stay on one line.
func visible(r rune) rune {
	if unicode.IsControl(r) {
		return '?'
	}
	return r
}
