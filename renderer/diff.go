package renderer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// ObjectRef identifies a rendered object independently of its version.
type ObjectRef struct {
	// Group, Kind, Namespace and Name identify the object ("" group: core).
	Group, Kind, Namespace, Name string
}

// String prints "group/Kind namespace/name" (core kinds without a group).
func (r ObjectRef) String() string {
	k := r.Kind
	if r.Group != "" {
		k = r.Group + "/" + r.Kind
	}
	return k + " " + nsName(r.Namespace, r.Name)
}

// RefOf returns the reference of an object.
func RefOf(o *unstructured.Unstructured) ObjectRef {
	return ObjectRef{Group: o.GroupVersionKind().Group, Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
}

// Change is one changed object and the field paths that differ.
type Change struct {
	// Ref is the object.
	Ref ObjectRef
	// Fields are the differing field paths (at most maxChangedFields).
	Fields []string
}

// Danger is a transition that would lose backups.
type Danger struct {
	// Ref is the object whose removal or change is dangerous.
	Ref ObjectRef
	// Reason says what would be lost.
	Reason string
}

// Report is the difference between two renders.
type Report struct {
	// Created, Changed and Removed list the objects, sorted.
	Created []ObjectRef
	Changed []Change
	Removed []ObjectRef
	// Dangers are the removals and changes that would lose backups.
	Dangers []Danger
}

// Dangerous reports whether the transition would lose backups.
func (r Report) Dangerous() bool { return len(r.Dangers) > 0 }

// Empty reports whether nothing changes.
func (r Report) Empty() bool { return len(r.Created)+len(r.Changed)+len(r.Removed) == 0 }

// DiffOptions configure Diff.
type DiffOptions struct {
	// Backups are Backup objects known to exist in the cluster (for example
	// `kubectl get backups -A -o yaml`), in addition to any Backup among the
	// old objects. Default none.
	Backups []*unstructured.Unstructured
	// BackupsKnown says Backups lists every Backup of the cluster (an empty
	// list then means there are none). Without it, a BSL that is removed or
	// moved to other storage counts as holding backups: Velero's sync
	// deletes the Backup objects missing from a BSL's new store. Default
	// false.
	BackupsKnown bool
}

const maxChangedFields = 8

// Diff compares an old render with a new one and flags what would lose
// backups: removing a Velero CRD (deletes every object of its kind),
// removing a Backup, removing a BSL that still has backups or is a previous
// location (PreviousLocationLabel), moving such a
// BSL to other storage while no BSL of the new render keeps the old
// location, and removing a Namespace that holds BSLs or Backups. Objects
// are matched by group, kind, namespace and name, so a version change is a
// change. It does not look at the cluster: pass the Backups that exist.
func Diff(oldObjs, newObjs []*unstructured.Unstructured, opts DiffOptions) Report {
	olds, news := index(oldObjs), index(newObjs)
	var r Report
	for ref, o := range olds {
		n, ok := news[ref]
		if !ok {
			r.Removed = append(r.Removed, ref)
			continue
		}
		if f := changedFields(o.Object, n.Object); len(f) > 0 {
			r.Changed = append(r.Changed, Change{Ref: ref, Fields: f})
		}
	}
	for ref := range news {
		if _, ok := olds[ref]; !ok {
			r.Created = append(r.Created, ref)
		}
	}
	sortRefs(r.Created)
	sortRefs(r.Removed)
	sort.Slice(r.Changed, func(i, j int) bool { return refLess(r.Changed[i].Ref, r.Changed[j].Ref) })
	r.Dangers = dangers(r, olds, news, append(backupsIn(oldObjs), opts.Backups...), opts.BackupsKnown)
	return r
}

func dangers(r Report, olds, news map[ObjectRef]*unstructured.Unstructured, backups []*unstructured.Unstructured, known bool) []Danger {
	perBSL := map[ObjectRef][]string{} // BSL -> backup names
	perNS := map[string]int{}
	for _, b := range backups {
		loc, _, _ := unstructured.NestedString(b.Object, "spec", "storageLocation")
		if loc == "" {
			loc = b.GetLabels()["velero.io/storage-location"]
		}
		ref := ObjectRef{Group: "velero.io", Kind: "BackupStorageLocation", Namespace: b.GetNamespace(), Name: loc}
		perBSL[ref] = append(perBSL[ref], b.GetName())
		perNS[b.GetNamespace()]++
	}
	for ref := range olds {
		if isBSL(ref) {
			perNS[ref.Namespace]++
		}
	}
	var ds []Danger
	for _, ref := range r.Removed {
		switch {
		case ref.Kind == "CustomResourceDefinition":
			ds = append(ds, Danger{Ref: ref, Reason: "removing a CustomResourceDefinition deletes every object of its kind (for Velero's: every Backup, Restore and BSL)"})
		case ref.Group == "velero.io" && ref.Kind == "Backup":
			ds = append(ds, Danger{Ref: ref, Reason: "the Backup object would be removed"})
		case isBSL(ref) && len(perBSL[ref]) > 0:
			ds = append(ds, Danger{Ref: ref, Reason: fmt.Sprintf("the BSL still has %d backup(s) (%s); they would no longer be listable or restorable", len(perBSL[ref]), names(perBSL[ref]))})
		case isBSL(ref) && olds[ref].GetLabels()[PreviousLocationLabel] == "true":
			ds = append(ds, Danger{Ref: ref, Reason: "it is a previous storage location, kept read-only for the backups written before a storage switch (their Backup objects may name another BSL); retire it only when they are no longer needed"})
		case isBSL(ref) && !known:
			ds = append(ds, Danger{Ref: ref, Reason: "the BSL may still have backups, which would no longer be listable or restorable; pass the cluster's Backups (--backups) to know"})
		case ref.Group == "" && ref.Kind == "Namespace" && perNS[ref.Name] > 0:
			ds = append(ds, Danger{Ref: ref, Reason: "deleting the namespace deletes the BSLs and Backups in it"})
		}
	}
	for _, c := range r.Changed {
		if !isBSL(c.Ref) || len(perBSL[c.Ref]) == 0 && known {
			continue
		}
		was := locationOf(olds[c.Ref])
		if was == locationOf(news[c.Ref]) || keptElsewhere(was, news) {
			continue
		}
		if len(perBSL[c.Ref]) == 0 {
			ds = append(ds, Danger{Ref: c.Ref, Reason: fmt.Sprintf(
				"the BSL moves away from %s, which may still hold backups (pass the cluster's Backups with --backups to know), and no BSL of the new render keeps that location; Velero's sync would delete the Backup objects missing from the new store; keep it as a previous location (read-only)",
				was)})
			continue
		}
		ds = append(ds, Danger{Ref: c.Ref, Reason: fmt.Sprintf(
			"the BSL moves away from %s, which still holds %d backup(s) (%s), and no BSL of the new render keeps that location; keep it as a previous location (read-only)",
			was, len(perBSL[c.Ref]), names(perBSL[c.Ref]))})
	}
	sort.SliceStable(ds, func(i, j int) bool { return refLess(ds[i].Ref, ds[j].Ref) })
	return ds
}

func isBSL(r ObjectRef) bool { return r.Group == "velero.io" && r.Kind == "BackupStorageLocation" }

// storageLoc is where a BSL points: bucket, normalized endpoint and prefix.
type storageLoc struct{ bucket, endpoint, prefix string }

func (l storageLoc) String() string {
	s := "bucket " + l.bucket
	if l.endpoint != "" {
		s += " at " + l.endpoint
	}
	return s + " prefix " + fmt.Sprintf("%q", l.prefix)
}

func locationOf(o *unstructured.Unstructured) storageLoc {
	b, _, _ := unstructured.NestedString(o.Object, "spec", "objectStorage", "bucket")
	p, _, _ := unstructured.NestedString(o.Object, "spec", "objectStorage", "prefix")
	e, _, _ := unstructured.NestedString(o.Object, "spec", "config", "s3Url")
	return storageLoc{bucket: b, endpoint: storage.CanonicalEndpoint(e), prefix: prefix.Normalize(p)}
}

func keptElsewhere(l storageLoc, news map[ObjectRef]*unstructured.Unstructured) bool {
	for ref, o := range news {
		if isBSL(ref) && locationOf(o) == l {
			return true
		}
	}
	return false
}

func names(s []string) string {
	sort.Strings(s)
	if len(s) > 5 {
		return strings.Join(s[:5], ", ") + fmt.Sprintf(", and %d more", len(s)-5)
	}
	return strings.Join(s, ", ")
}

func backupsIn(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GroupVersionKind().Group == "velero.io" && o.GetKind() == "Backup" {
			out = append(out, o)
		}
	}
	return out
}

func index(objs []*unstructured.Unstructured) map[ObjectRef]*unstructured.Unstructured {
	m := make(map[ObjectRef]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		m[RefOf(o)] = o
	}
	return m
}

// ignored are the fields the API server or a tool owns, not the render.
var ignored = map[string]bool{
	"status": true, "metadata.managedFields": true, "metadata.creationTimestamp": true,
	"metadata.resourceVersion": true, "metadata.uid": true, "metadata.generation": true,
}

// changedFields returns the paths where a and b differ, depth-first, at
// most maxChangedFields; ignored paths are skipped.
func changedFields(a, b map[string]any) []string {
	var out []string
	walkDiff("", a, b, &out)
	return out
}

func walkDiff(path string, a, b any, out *[]string) {
	if len(*out) >= maxChangedFields || ignored[path] {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkDiff(p, am[k], bm[k], out)
		}
		return
	}
	if !equalValues(a, b) {
		if path == "" {
			path = "."
		}
		*out = append(*out, path)
	}
}

// equalValues compares decoded JSON/YAML values; numbers compare by value,
// whichever decoder read them (YAML decoders give float64, the unstructured
// JSON decoder int64).
func equalValues(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equalValues(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equalValues(av[i], bv[i]) {
				return false
			}
		}
		return true
	}
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func sortRefs(rs []ObjectRef) { sort.Slice(rs, func(i, j int) bool { return refLess(rs[i], rs[j]) }) }

func refLess(a, b ObjectRef) bool {
	if ra, rb := rank(a.Kind), rank(b.Kind); ra != rb {
		return ra < rb
	}
	return a.String() < b.String()
}

// WriteText prints the report: one line per object ("+" created, "~"
// changed with its fields, "-" removed), then each danger ("!") and a
// summary line.
func (r Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	for _, c := range r.Created {
		fmt.Fprintf(&b, "+ %s\n", c)
	}
	for _, c := range r.Changed {
		fmt.Fprintf(&b, "~ %s (%s)\n", c.Ref, strings.Join(c.Fields, ", "))
	}
	for _, c := range r.Removed {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	for _, d := range r.Dangers {
		fmt.Fprintf(&b, "! dangerous: %s: %s\n", d.Ref, d.Reason)
	}
	fmt.Fprintf(&b, "%d created, %d changed, %d removed, %d dangerous\n", len(r.Created), len(r.Changed), len(r.Removed), len(r.Dangers))
	_, err := w.Write(b.Bytes())
	return err
}

// DecodeObjects reads a YAML stream (documents separated by "---") or JSON
// objects; v1 Lists are unwrapped and empty documents skipped.
func DecodeObjects(r io.Reader) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			err := u.EachListItem(func(o runtime.Object) error {
				out = append(out, o.(*unstructured.Unstructured))
				return nil
			})
			if err != nil {
				return nil, err
			}
			continue
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("a document lacks kind or metadata.name")
		}
		out = append(out, u)
	}
}
