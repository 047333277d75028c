package user

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/api/equality"
)

// specPatch returns the JSON patch that turns the spec before defaulting
// into the spec after it. before and after point to two values of the same
// spec struct. It compares the typed values field by field (inline structs
// flattened) and emits one "add" (which also replaces an existing member)
// per top-level JSON field that changed, or "remove" for an omitempty field
// that became empty. When before is entirely zero the object may have no
// spec member at all, so the whole spec is added in one operation.
//
// Comparing typed values avoids parsing the request's JSON again and
// diffing whole objects generically, which cost more than the rules.
func specPatch(before, after any) ([]jsonpatch.Operation, error) {
	bv, av := reflect.ValueOf(before), reflect.ValueOf(after)
	if bv.Kind() != reflect.Pointer || av.Kind() != reflect.Pointer || bv.Type() != av.Type() || bv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("specPatch: want two pointers to the same struct type, got %T and %T", before, after)
	}
	bv, av = bv.Elem(), av.Elem()
	if bv.IsZero() {
		if av.IsZero() {
			return nil, nil
		}
		return []jsonpatch.Operation{jsonpatch.NewOperation("add", "/spec", after)}, nil
	}
	var ops []jsonpatch.Operation
	err := diffFields(bv, av, &ops)
	return ops, err
}

// diffFields appends an operation per changed JSON member of the structs b and a.
func diffFields(b, a reflect.Value, ops *[]jsonpatch.Operation) error {
	t := b.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" && (f.Anonymous || hasOpt(opts, "inline")) && f.Type.Kind() == reflect.Struct {
			if err := diffFields(b.Field(i), a.Field(i), ops); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		bf, af := b.Field(i), a.Field(i)
		// Most fields are empty before and after: skip them without
		// boxing them into interfaces for the comparison.
		if bf.IsZero() && af.IsZero() || equality.Semantic.DeepEqual(bf.Interface(), af.Interface()) {
			continue
		}
		path := "/spec/" + escapePointer(name)
		if af.IsZero() && hasOpt(opts, "omitempty") {
			*ops = append(*ops, jsonpatch.NewOperation("remove", path, nil))
			continue
		}
		raw, err := json.Marshal(af.Interface())
		if err != nil {
			return fmt.Errorf("encode spec.%s: %w", name, err)
		}
		*ops = append(*ops, jsonpatch.NewOperation("add", path, json.RawMessage(raw)))
	}
	return nil
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// escapePointer escapes a JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
