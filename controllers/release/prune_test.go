package release

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestKeptKinds(t *testing.T) {
	for _, gk := range []schema.GroupKind{
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
		{Kind: "Namespace"},
		{Group: "velero.io", Kind: "BackupStorageLocation"},
		{Kind: "Secret"},
	} {
		found := false
		for _, k := range KeptKinds {
			found = found || k == gk
		}
		if !found {
			t.Errorf("%s is not a kept kind", gk)
		}
	}
}

func TestManagedBy(t *testing.T) {
	m := &metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}, {Manager: DefaultFieldManager}}}
	if !managedBy(m, DefaultFieldManager) || managedBy(m, "other") {
		t.Fatal("managedBy does not read the managed fields")
	}
}
