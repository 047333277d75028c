package prefix

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidate(t *testing.T) {
	fld := field.NewPath("spec", "objectStorage", "prefix")
	tests := map[string]struct {
		prefix  string
		wantErr string // substring of the aggregated error, "" for valid
	}{
		"empty is the bucket root":    {prefix: ""},
		"one segment":                 {prefix: "backups"},
		"nested segments":             {prefix: "a/b-c/d.e_f"},
		"trailing slash is trimmed":   {prefix: "a/b/"},
		"leading slash":               {prefix: "/a", wantErr: "must not start with '/'"},
		"double slash":                {prefix: "a//b", wantErr: "segment 2 is empty"},
		"dot segment":                 {prefix: "a/./b", wantErr: `segment 2 is "."`},
		"dotdot escapes":              {prefix: "p1/cA/../../p2/cX", wantErr: `segment 3 is ".."`},
		"only dotdot":                 {prefix: "..", wantErr: `segment 1 is ".."`},
		"backslash":                   {prefix: `a\b`, wantErr: "backslash"},
		"newline":                     {prefix: "a\nb", wantErr: "control characters"},
		"NUL":                         {prefix: "a\x00b", wantErr: "control characters"},
		"too long":                    {prefix: strings.Repeat("a", MaxLength+1), wantErr: "Too long"},
		"two trailing slashes":        {prefix: "a//", wantErr: "segment 2 is empty"},
		"dots inside a name are fine": {prefix: "a..b/c.", wantErr: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := Validate(tc.prefix, fld)
			if tc.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("Validate(%q) = %v, want no error", tc.prefix, errs)
				}
				return
			}
			got := errs.ToAggregate()
			if got == nil || !strings.Contains(got.Error(), tc.wantErr) {
				t.Fatalf("Validate(%q) = %v, want error containing %q", tc.prefix, got, tc.wantErr)
			}
			if !strings.Contains(got.Error(), "spec.objectStorage.prefix") {
				t.Fatalf("error %q does not name the field", got)
			}
		})
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		base, project, cluster, want, wantErr string
	}{
		{"", "p1", "c1", "p1/c1", ""},
		{"velero", "p1", "c1", "velero/p1/c1", ""},
		{"velero/", "p1", "c1", "velero/p1/c1", ""},
		{"velero", "", "c1", "", "metadata.labels[project-id]: Required"},
		{"velero", "p1", "../c1", "", "metadata.name: Invalid"},
		{"velero", "P1", "c1", "", "metadata.labels[project-id]: Invalid"},
		{"velero", "p1", "a/b", "", "single safe path segment"},
		{"../x", "p1", "c1", "", `".."`},
	}
	for _, tc := range tests {
		got, errs := Join(tc.base, tc.project, tc.cluster)
		if tc.wantErr != "" {
			if errs == nil || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr) {
				t.Errorf("Join(%q,%q,%q) error = %v, want %q", tc.base, tc.project, tc.cluster, errs, tc.wantErr)
			}
			continue
		}
		if errs != nil || got != tc.want {
			t.Errorf("Join(%q,%q,%q) = %q, %v; want %q", tc.base, tc.project, tc.cluster, got, errs, tc.want)
		}
	}
}

func TestContainsAndNested(t *testing.T) {
	tests := []struct {
		parent, child string
		contains      bool
	}{
		{"p/c1", "p/c1", true},
		{"p/c1", "p/c1/", true},
		{"p/c1", "p/c1/backups", true},
		{"p/c1", "p/c10", false},
		{"p/c10", "p/c1", false},
		{"", "anything", true},
		{"p", "p/c1", true},
		{"q", "p/c1", false},
	}
	for _, tc := range tests {
		if got := Contains(tc.parent, tc.child); got != tc.contains {
			t.Errorf("Contains(%q, %q) = %v, want %v", tc.parent, tc.child, got, tc.contains)
		}
		if Nested(tc.parent, tc.child) != Nested(tc.child, tc.parent) {
			t.Errorf("Nested is not symmetric for %q, %q", tc.parent, tc.child)
		}
	}
	if Nested("p/c1", "p/c10") {
		t.Error(`Nested("p/c1", "p/c10") = true, want false`)
	}
}
