package user

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// specPatch returns JSON patch operations that turn the spec in raw (the
// object as the API server sent it) into spec, one "add" (which replaces an
// existing member) per top-level spec field whose encoding changed. Defaults
// only fill or replace fields, so fields are never removed; new fields whose
// value is empty ({}, [], null, "", "0s") are left out. This avoids diffing the
// whole object generically, which cost more than the rules themselves.
func specPatch(raw []byte, spec any) ([]jsonpatch.Operation, error) {
	var orig struct {
		Spec map[string]json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(raw, &orig); err != nil {
		return nil, err
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if orig.Spec == nil {
		return []jsonpatch.Operation{jsonpatch.NewOperation("add", "/spec", json.RawMessage(out))}, nil
	}
	var now map[string]json.RawMessage
	if err := json.Unmarshal(out, &now); err != nil {
		return nil, err
	}
	var ops []jsonpatch.Operation
	for k, v := range now {
		o, had := orig.Spec[k]
		if had && bytes.Equal(o, v) || !had && emptyJSON(v) {
			continue
		}
		ops = append(ops, jsonpatch.NewOperation("add", "/spec/"+escapePointer(k), v))
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path < ops[j].Path })
	return ops, nil
}

func emptyJSON(v json.RawMessage) bool {
	switch string(v) {
	case "{}", "[]", "null", `""`, `"0s"`:
		return true
	}
	return false
}

// escapePointer escapes a JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
