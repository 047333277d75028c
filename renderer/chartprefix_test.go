package renderer

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// chartPrefix renders the chart's templates for the given prefix parts with
// Helm's engine, without the Go-side validation, and returns the managed
// BSL's prefix or the chart's error.
func chartPrefix(t *testing.T, r *Renderer, base, project, cluster string) (string, error) {
	t.Helper()
	ms, err := r.renderTemplates(map[string]any{
		"cluster": map[string]any{"id": cluster, "projectID": project},
		"storage": map[string]any{"bucket": "b", "prefix": base},
	})
	if err != nil {
		return "", err
	}
	objs, err := Result{Manifests: ms}.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "BackupStorageLocation" {
			p, _, _ := unstructuredString(o.Object, "spec", "objectStorage", "prefix")
			return p, nil
		}
	}
	t.Fatal("no BackupStorageLocation rendered")
	return "", nil
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[f]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

// TestChartPrefixMatchesInternalPrefix runs a table of prefixes and IDs, plus
// generated ones, through the chart's velero-managed.prefix and through
// internal/prefix.Join: both must accept and reject the same inputs and
// agree on every accepted prefix.
func TestChartPrefixMatchesInternalPrefix(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	type parts struct{ base, project, cluster string }
	cases := []parts{
		{"", "p1", "c1"}, {"velero", "p1", "c1"}, {"velero/", "p1", "c1"}, {"a/b/c", "p1", "c1"},
		{"a//", "p1", "c1"}, {"a//b", "p1", "c1"}, {"/a", "p1", "c1"}, {"/", "p1", "c1"}, {"//", "p1", "c1"},
		{".", "p1", "c1"}, {"..", "p1", "c1"}, {"a/./b", "p1", "c1"}, {"p1/cA/../../p2/cX", "p1", "c1"},
		{"a..b/c.", "p1", "c1"}, {"...", "p1", "c1"}, {`a\b`, "p1", "c1"}, {"a\x00b", "p1", "c1"},
		{"a\nb", "p1", "c1"}, {"a\x7fb", "p1", "c1"}, {"a\u0085b", "p1", "c1"}, {"a\u200bb", "p1", "c1"},
		{"ü/ß", "p1", "c1"}, {"a b", "p1", "c1"}, {"a\tb", "p1", "c1"},
		{strings.Repeat("a", prefix.MaxLength), "p1", "c1"}, {strings.Repeat("a", prefix.MaxLength+1), "p1", "c1"},
		{"x", "", "c1"}, {"x", "p1", ""}, {"x", "P1", "c1"}, {"x", "p1", "C1"}, {"x", "-p", "c1"}, {"x", "p-", "c1"},
		{"x", "p_1", "c1"}, {"x", "p.1", "c1"}, {"x", "p/1", "c1"}, {"x", "p1", "../c1"}, {"x", "1", "2"},
		{"x", strings.Repeat("p", 63), "c1"}, {"x", strings.Repeat("p", 64), "c1"}, {"x", "p1", "c1\n"},
		{"x", "p1", "ä"},
	}
	rnd := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "b", "/", ".", "..", `\`, "\x01", "-", "A", "é", " "}
	idAlphabet := []string{"a", "z", "0", "-", ".", "A", "/"}
	gen := func(alpha []string, n int) string {
		var b strings.Builder
		for range rnd.Intn(n) {
			b.WriteString(alpha[rnd.Intn(len(alpha))])
		}
		return b.String()
	}
	id := func() string {
		if rnd.Intn(5) == 0 {
			return gen(idAlphabet, 5)
		}
		return "p" + gen([]string{"a", "0", "-", "z"}, 4) + "9"
	}
	base := func() string {
		if rnd.Intn(3) == 0 {
			return gen([]string{"a", "b", "/"}, 6) // often valid
		}
		return gen(alphabet, 8)
	}
	for range 300 {
		cases = append(cases, parts{base(), id(), id()})
	}
	accepted := 0
	for _, c := range cases {
		want, errs := prefix.Join(c.base, c.project, c.cluster)
		got, err := chartPrefix(t, r, c.base, c.project, c.cluster)
		switch {
		case len(errs) > 0 && err == nil:
			t.Errorf("Join(%q, %q, %q) refuses (%v) but the chart renders %q", c.base, c.project, c.cluster, errs.ToAggregate(), got)
		case len(errs) == 0 && err != nil:
			t.Errorf("Join(%q, %q, %q) = %q but the chart fails: %v", c.base, c.project, c.cluster, want, err)
		case len(errs) == 0 && got != want:
			t.Errorf("Join(%q, %q, %q) = %q, the chart says %q", c.base, c.project, c.cluster, want, got)
		case len(errs) == 0:
			accepted++
		}
	}
	if accepted < 20 || accepted == len(cases) {
		t.Fatalf("%d of %d cases accepted; the table must exercise both outcomes", accepted, len(cases))
	}
}

// TestChartRefusesBadPrefixWithFieldName: the chart's own error names the
// values field, so `helm template` users see what to fix.
func TestChartRefusesBadPrefixWithFieldName(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for base, want := range map[string]string{
		"a/../b": `storage.prefix: Invalid value: "a/../b": segment 2 is ".."`,
		"/x":     "storage.prefix: Invalid value",
	} {
		_, err := chartPrefix(t, r, base, "p1", "c1")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("prefix %q: err = %v, want %q", base, err, want)
		}
	}
	if _, err := chartPrefix(t, r, "", "p1", "Bad"); err == nil || !strings.Contains(err.Error(), "cluster.id: Invalid value") {
		t.Errorf("bad cluster ID: err = %v", err)
	}
}
