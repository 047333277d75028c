package prefix

import (
	"path"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FuzzJoin checks the isolation property: whenever Join accepts its inputs, the
// joined prefix survives Velero's path.Join unchanged and lies inside the
// CBSL prefix, one folder per project and cluster.
func FuzzJoin(f *testing.F) {
	for _, s := range [][3]string{{"", "p", "c"}, {"a/b", "p1", "c1"}, {"../x", "p", "c"}, {"a//b/", "p", "c"}, {"a\\b", "p", "c"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, base, project, cluster string) {
		got, errs := Join(base, project, cluster)
		if errs != nil {
			return
		}
		if path.Join(got) != got || strings.HasPrefix(got, "/") {
			t.Fatalf("Join(%q,%q,%q) = %q, which path.Join changes", base, project, cluster, got)
		}
		if !Contains(base, got) || !strings.HasSuffix("/"+got, "/"+project+"/"+cluster) {
			t.Fatalf("Join(%q,%q,%q) = %q escapes its base", base, project, cluster, got)
		}
		if len(Validate(got, field.NewPath("p"))) != 0 {
			t.Fatalf("Join result %q does not validate", got)
		}
	})
}

// FuzzValidate checks that a valid prefix is stable under Velero's path.Join.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"", "a", "a/b/", "/a", "a/../b", "a/./b", "a//b", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if len(Validate(p, field.NewPath("p"))) != 0 || p == "" {
			return
		}
		if n := Normalize(p); path.Join(n) != n {
			t.Fatalf("valid prefix %q changes under path.Join to %q", p, path.Join(n))
		}
	})
}

// TestJoinTooLong: parts that each fit but together exceed MaxLength are
// refused naming the CBSL prefix (found by FuzzJoin).
func TestJoinTooLong(t *testing.T) {
	_, errs := Join(strings.Repeat("a", MaxLength-4), "p1", "c1")
	if len(errs) != 1 || errs[0].Field != "spec.objectStorage.prefix" || !strings.Contains(errs[0].Detail, "effective prefix <prefix>/p1/c1 would be 514 bytes, more than 512") {
		t.Fatalf("errs = %v", errs)
	}
	if got, errs := Join(strings.Repeat("a", MaxLength-6), "p1", "c1"); errs != nil || len(got) != MaxLength {
		t.Fatalf("a joined prefix of exactly MaxLength: %q, %v", got, errs)
	}
}
