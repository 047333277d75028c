package admit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// members is a presence that knows the listed member paths ("spec.template").
type members []string

func (m members) has(names ...string) bool {
	p := strings.Join(names, ".")
	for _, s := range m {
		if s == p {
			return true
		}
	}
	return false
}

func TestSpecPatch(t *testing.T) {
	bsl := func(prefix string, def bool) *velerov1.BackupStorageLocationSpec {
		return &velerov1.BackupStorageLocationSpec{Provider: "aws", Default: def,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "b", Prefix: prefix}}}
	}
	defaulted := func(s velerov1.BackupSpec) velerov1.BackupSpec {
		s.TTL, s.StorageLocation, s.DefaultVolumesToFsBackup = metav1.Duration{Duration: 720 * time.Hour}, "default", ptr.To(true)
		return s
	}
	const backupDefaults = `{"op":"add","path":"/spec/ttl","value":"720h0m0s"},{"op":"add","path":"/spec/storageLocation","value":"default"},{"op":"add","path":"/spec/defaultVolumesToFsBackup","value":true}`
	const templateDefaults = `{"op":"add","path":"/spec/template/ttl","value":"720h0m0s"},{"op":"add","path":"/spec/template/storageLocation","value":"default"},{"op":"add","path":"/spec/template/defaultVolumesToFsBackup","value":true}`
	tests := map[string]struct {
		before, after any
		obj           members
		want          string
	}{
		"nothing changed": {
			before: &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			after:  &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			want:   `null`,
		},
		"defaults filled, one add each, in field order": {
			before: &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			after:  ptr.To(defaulted(velerov1.BackupSpec{IncludedNamespaces: []string{"app"}})),
			want:   `[` + backupDefaults + `]`,
		},
		"empty spec present (maybe holding unknown fields): one op per field": {
			before: &velerov1.BackupSpec{},
			after:  ptr.To(defaulted(velerov1.BackupSpec{})),
			obj:    members{"spec"},
			want:   `[` + backupDefaults + `]`,
		},
		"spec absent: added with the set fields only, no zero values": {
			before: &velerov1.BackupSpec{},
			after:  &velerov1.BackupSpec{StorageLocation: "default"},
			want:   `[{"op":"add","path":"/spec","value":{"storageLocation":"default"}}]`,
		},
		"schedule template: one op per defaulted field, nothing else": {
			before: &velerov1.ScheduleSpec{Schedule: "@daily", Template: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}},
			after:  &velerov1.ScheduleSpec{Schedule: "@daily", Template: defaulted(velerov1.BackupSpec{IncludedNamespaces: []string{"app"}})},
			want:   `[` + templateDefaults + `]`,
		},
		"schedule template empty but present (a field these types do not know): kept, fields added into it": {
			before: &velerov1.ScheduleSpec{Schedule: "@daily"},
			after:  &velerov1.ScheduleSpec{Schedule: "@daily", Template: defaulted(velerov1.BackupSpec{})},
			obj:    members{"spec", "spec.template"},
			want:   `[` + templateDefaults + `]`,
		},
		"schedule template absent: added with the defaults only": {
			before: &velerov1.ScheduleSpec{Schedule: "@daily"},
			after:  &velerov1.ScheduleSpec{Schedule: "@daily", Template: defaulted(velerov1.BackupSpec{})},
			obj:    members{"spec"},
			want:   `[{"op":"add","path":"/spec/template","value":{"ttl":"720h0m0s","storageLocation":"default","defaultVolumesToFsBackup":true}}]`,
		},
		"zero durations the CLI sent are replaced in place": {
			before: &velerov1.ScheduleSpec{Schedule: "@daily", Template: velerov1.BackupSpec{StorageLocation: "default", DefaultVolumesToFsBackup: ptr.To(false)}},
			after:  &velerov1.ScheduleSpec{Schedule: "@daily", Template: velerov1.BackupSpec{StorageLocation: "default", DefaultVolumesToFsBackup: ptr.To(false), TTL: metav1.Duration{Duration: time.Hour}}},
			want:   `[{"op":"add","path":"/spec/template/ttl","value":"1h0m0s"}]`,
		},
		"inline struct: the changed member of objectStorage only": {
			before: bsl("kkp/p1/c1/", true),
			after:  bsl("kkp/p1/c1", true),
			want:   `[{"op":"add","path":"/spec/objectStorage/prefix","value":"kkp/p1/c1"}]`,
		},
		"nil pointer struct filled: added with its set fields": {
			before: &velerov1.BackupStorageLocationSpec{Provider: "aws"},
			after:  bsl("kkp/p1/c1", true),
			want:   `[{"op":"add","path":"/spec/objectStorage","value":{"bucket":"b","prefix":"kkp/p1/c1"}},{"op":"add","path":"/spec/default","value":true}]`,
		},
		"omitempty member emptied is removed": {
			before: &velerov1.BackupSpec{StorageLocation: "x", IncludedNamespaces: []string{"app"}},
			after:  &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			want:   `[{"op":"remove","path":"/spec/storageLocation"}]`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ops, err := specPatch(tc.before, tc.after, tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(ops)
			if string(got) != tc.want {
				t.Errorf("patch\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := specPatch(&velerov1.BackupSpec{}, &velerov1.ScheduleSpec{}, members(nil)); err == nil {
		t.Error("specPatch of two different types: want an error")
	}
}

func TestRawReviewHas(t *testing.T) {
	raw := rawReview(`{"kind":"AdmissionReview","request":{"uid":"u","oldObject":{"spec":{"template":{}}},` +
		`"object":{"metadata":{"name":"s"},"spec":{"schedule":"@daily","template":{"future":{"x":1}},"paused":null}}}}`)
	tests := map[string]bool{
		"spec": true, "spec.template": true, "spec.template.future": true, "spec.template.ttl": false,
		"spec.paused": false, "spec.schedule.x": false, "status": false, "metadata.name": true,
	}
	for path, want := range tests {
		if got := raw.has(strings.Split(path, ".")...); got != want {
			t.Errorf("has(%s) = %v, want %v", path, got, want)
		}
	}
	if rawReview(`{"request":{"object":`).has("spec") {
		t.Error("truncated body: want false")
	}
}
