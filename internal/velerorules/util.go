package velerorules

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
)

// MaxWarningLength is the longest warning returned; the API server
// truncates longer ones.
const MaxWarningLength = 120

// Warning shortens s to MaxWarningLength bytes.
func Warning(s string) string {
	if len(s) <= MaxWarningLength {
		return s
	}
	return s[:MaxWarningLength-3] + "..."
}

// isWildcard reports whether a namespace entry is a glob, not a name.
func isWildcard(n string) bool { return strings.ContainsAny(n, "*?[") }

// diffSpecs compares two specs by their top-level JSON fields: filled are
// fields empty before and set now; changed are fields set before and
// different (or removed) now. Both are sorted.
func diffSpecs(oldSpec, newSpec any) (filled, changed []string) {
	o, n := toMap(oldSpec), toMap(newSpec)
	keys := map[string]struct{}{}
	for k := range o {
		keys[k] = struct{}{}
	}
	for k := range n {
		keys[k] = struct{}{}
	}
	for k := range keys {
		ov, nv := o[k], n[k]
		if reflect.DeepEqual(ov, nv) || (isZero(ov) && isZero(nv)) {
			continue
		}
		if isZero(ov) {
			filled = append(filled, k)
		} else {
			changed = append(changed, k)
		}
	}
	sort.Strings(filled)
	sort.Strings(changed)
	return filled, changed
}

func toMap(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	return m
}

// isZero reports whether a JSON value means "unset": absent, null, "",
// a zero duration such as "0s" (the velero CLI sends those), 0, or an empty
// list or object. false is a value, not unset.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0s" || x == "0"
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}
