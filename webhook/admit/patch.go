package admit

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/api/equality"
)

// presence answers what the typed objects cannot: whether the request's
// object has a member (not null) at the path of JSON member names, such as
// "spec", "template". A zero Go struct may stand for an absent member, an
// empty one, or one holding only fields the compiled types do not know.
type presence interface {
	has(names ...string) bool
}

// specPatch returns the JSON patch that turns the spec before defaulting
// into the spec after it. before and after point to two values of the same
// spec struct; obj says which members the request's object has.
//
// It emits one operation per changed leaf: nested structs (the template of
// a Schedule, a BSL's objectStorage) are compared member by member and
// patched at their own paths (/spec/template/ttl), never re-encoded whole,
// so members the compiled Velero types do not know (a newer CRD than this
// webhook) and zero values nobody set stay as the request had them. A
// member is added whole only where the object lacks it, and then with its
// set fields only. A changed omitempty field that became empty is removed.
// Leaves are scalars, slices, maps and types with their own JSON encoding
// (durations, times, label selectors' maps).
//
// Comparing typed values avoids parsing the request's JSON again and
// diffing whole objects generically, which cost more than the rules; the
// JSON is consulted (obj.has) only where a struct was empty before.
func specPatch(before, after any, obj presence) ([]jsonpatch.Operation, error) {
	bv, av := reflect.ValueOf(before), reflect.ValueOf(after)
	if bv.Kind() != reflect.Pointer || av.Kind() != reflect.Pointer || bv.Type() != av.Type() || bv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("specPatch: want two pointers to the same struct type, got %T and %T", before, after)
	}
	d := differ{obj: obj, names: make([]string, 1, 4)}
	d.names[0] = "spec"
	err := d.member(bv.Elem(), av.Elem(), false)
	return d.ops, err
}

// differ collects the operations of one patch.
type differ struct {
	obj presence
	// names is the path of the member being compared.
	names []string
	ops   []jsonpatch.Operation
}

// member appends the operations that turn the member at d.names from b
// into a; omitEmpty is its json tag's omitempty.
func (d *differ) member(b, a reflect.Value, omitEmpty bool) error {
	if b.IsZero() && a.IsZero() {
		return nil
	}
	names := d.names
	if bs, as := structOf(b), structOf(a); bs.IsValid() && as.IsValid() && (!b.IsZero() || d.obj.has(names...)) {
		return d.fields(bs, as)
	}
	if equality.Semantic.DeepEqual(b.Interface(), a.Interface()) {
		return nil
	}
	path := pointer(names)
	if a.IsZero() && omitEmpty {
		d.ops = append(d.ops, jsonpatch.NewOperation("remove", path, nil))
		return nil
	}
	raw, err := setFields(a)
	if err != nil {
		return fmt.Errorf("encode %s: %w", strings.Join(names, "."), err)
	}
	d.ops = append(d.ops, jsonpatch.NewOperation("add", path, json.RawMessage(raw)))
	return nil
}

// fields compares the JSON members of the structs b and a (inline structs
// flattened) under d.names.
func (d *differ) fields(b, a reflect.Value) error {
	t := b.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, inline := jsonName(f)
		switch {
		case name == "-":
			continue
		case inline:
			if err := d.fields(b.Field(i), a.Field(i)); err != nil {
				return err
			}
			continue
		}
		bf, af := b.Field(i), a.Field(i)
		// Most fields are empty before and after: skip them without
		// boxing them into interfaces for the comparison.
		if bf.IsZero() && af.IsZero() {
			continue
		}
		d.names = append(d.names, name)
		err := d.member(bf, af, hasOpt(opts, "omitempty"))
		d.names = d.names[:len(d.names)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// setFields encodes v with only its non-zero fields, recursively: the
// value of a member the object did not have, so no zero value nobody set
// (metadata: {}, csiSnapshotTimeout: 0s) is written.
func setFields(v reflect.Value) ([]byte, error) {
	s := structOf(v)
	if !s.IsValid() {
		return json.Marshal(v.Interface())
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	if err := writeSetFields(&buf, s); err != nil {
		return nil, err
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeSetFields(buf *bytes.Buffer, s reflect.Value) error {
	t := s.Type()
	for i := range t.NumField() {
		name, _, inline := jsonName(t.Field(i))
		f := s.Field(i)
		switch {
		case name == "-" || f.IsZero():
			continue
		case inline:
			if err := writeSetFields(buf, f); err != nil {
				return err
			}
			continue
		}
		raw, err := setFields(f)
		if err != nil {
			return err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	return nil
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// structOf returns the struct v holds (through a non-nil pointer) when its
// members are patched one by one, or an invalid Value for a leaf: not a
// struct, a nil pointer, or a type with its own encoding.
func structOf(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	t := v.Type()
	if t.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return reflect.Value{}
		}
	}
	return v
}

// jsonName returns a field's JSON member name ("-" for none), its tag
// options, and whether its members are inlined into the parent's.
func jsonName(f reflect.StructField) (name, opts string, inline bool) {
	if !f.IsExported() {
		return "-", "", false
	}
	name, opts, _ = strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" && opts == "" {
		return "-", "", false
	}
	if name == "" && (f.Anonymous || hasOpt(opts, "inline")) && f.Type.Kind() == reflect.Struct {
		return "", opts, true
	}
	if name == "" {
		name = f.Name
	}
	return name, opts, false
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

// pointer returns the JSON pointer (RFC 6901) of the member names.
func pointer(names []string) string {
	n := 0
	for _, s := range names {
		n += 1 + len(s)
	}
	var b strings.Builder
	b.Grow(n + 2)
	for _, n := range names {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(n, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
