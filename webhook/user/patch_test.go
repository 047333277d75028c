package user

import (
	"encoding/json"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestSpecPatch(t *testing.T) {
	bsl := func(prefix string, def bool) *velerov1.BackupStorageLocationSpec {
		return &velerov1.BackupStorageLocationSpec{Provider: "aws", Default: def,
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "b", Prefix: prefix}}}
	}
	tests := map[string]struct {
		before, after any
		want          string
	}{
		"nothing changed": {
			before: &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			after:  &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			want:   `null`,
		},
		"defaults filled, one add each, in field order": {
			before: &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			after: &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}, TTL: metav1.Duration{Duration: 720 * time.Hour},
				StorageLocation: "default", DefaultVolumesToFsBackup: ptr.To(true)},
			want: `[{"op":"add","path":"/spec/ttl","value":"720h0m0s"},{"op":"add","path":"/spec/storageLocation","value":"default"},{"op":"add","path":"/spec/defaultVolumesToFsBackup","value":true}]`,
		},
		"empty spec, which may be absent: the whole spec": {
			before: &velerov1.BackupSpec{},
			after:  &velerov1.BackupSpec{StorageLocation: "default"},
			want:   `[{"op":"add","path":"/spec","value":{"metadata":{},"ttl":"0s","hooks":{},"storageLocation":"default","csiSnapshotTimeout":"0s","itemOperationTimeout":"0s"}}]`,
		},
		"inline struct member replaced": {
			before: bsl("kkp/p1/c1/", true),
			after:  bsl("kkp/p1/c1", true),
			want:   `[{"op":"add","path":"/spec/objectStorage","value":{"bucket":"b","prefix":"kkp/p1/c1"}}]`,
		},
		"omitempty member emptied is removed": {
			before: &velerov1.BackupSpec{StorageLocation: "x", IncludedNamespaces: []string{"app"}},
			after:  &velerov1.BackupSpec{IncludedNamespaces: []string{"app"}},
			want:   `[{"op":"remove","path":"/spec/storageLocation"}]`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ops, err := specPatch(tc.before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(ops)
			if string(got) != tc.want {
				t.Errorf("patch\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := specPatch(&velerov1.BackupSpec{}, &velerov1.ScheduleSpec{}); err == nil {
		t.Error("specPatch of two different types: want an error")
	}
}
