package testenv

import (
	"sort"
	"testing"
)

// CompareObjectSets fails t for every object (keyed by identity, valued by
// its canonical encoding) that is missing from got, extra in got, or
// different, in key order; an empty want is itself a failure, since
// comparing against nothing proves nothing.
func CompareObjectSets(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference has no objects", what)
	}
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inW:
			t.Errorf("%s: extra object %s", what, k)
		case !inG:
			t.Errorf("%s: missing object %s", what, k)
		case w != g:
			t.Errorf("%s: object %s differs:\nwant %s\ngot  %s", what, k, w, g)
		}
	}
}
