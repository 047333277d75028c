package clusterindex

import (
	"context"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// indexer counts IndexField calls and fails the ones it is told to.
type indexer struct {
	calls []string
	fail  error
}

func (x *indexer) IndexField(_ context.Context, _ client.Object, field string, _ client.IndexerFunc) error {
	x.calls = append(x.calls, field)
	return x.fail
}

// TestRegisterOncePerCache: the credentials and the release loop both
// register the index on one manager; the cache gets it once (a second
// IndexField of one name is an "indexer conflict"), another cache gets its
// own, and a failed registration is tried again.
func TestRegisterOncePerCache(t *testing.T) {
	ctx := context.Background()
	a, b := &indexer{fail: errors.New("cache not ready")}, &indexer{}
	if err := Register(ctx, a); err == nil || !errors.Is(err, a.fail) {
		t.Fatalf("Register with a failing cache = %v, want its error wrapped", err)
	}
	a.fail = nil
	for _, x := range []*indexer{a, a, b, a, b} {
		if err := Register(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(a.calls, []string{Field, Field}) || !slices.Equal(b.calls, []string{Field}) {
		t.Fatalf("IndexField calls: first cache %v (one failed, one added), second %v", a.calls, b.calls)
	}
}

// TestValue: a Cluster is indexed under its CBSL's name, one without a
// backup configuration under none.
func TestValue(t *testing.T) {
	with := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1"},
		Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: "eu"}}}}
	if got := value(with); !slices.Equal(got, []string{"eu"}) {
		t.Errorf("value(cluster using eu) = %v", got)
	}
	if got := value(&kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c2"}}); got != nil {
		t.Errorf("value(cluster without backup) = %v, want none", got)
	}
}
