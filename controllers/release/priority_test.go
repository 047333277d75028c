package release

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// TestWaveMembersGoFirst: in controller-runtime's priority queue (the
// controllers' default), a cluster a rollout enqueues is taken before
// resyncs and watch events that were waiting longer, and a resync result
// carries ResyncPriority.
func TestWaveMembersGoFirst(t *testing.T) {
	q := priorityqueue.New[reconcile.Request]("wave-priority-test")
	defer q.ShutDown()
	req := func(n string) reconcile.Request { return reconcile.Request{NamespacedName: client.ObjectKey{Name: n}} }
	q.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(ResyncPriority)}, req("resync-1"), req("resync-2"))
	q.Add(req("event"))
	waveHandler().Generic(context.Background(), event.GenericEvent{Object: &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "wave"}}}, q)
	// An item already waiting as a resync moves up when a wave enqueues it.
	waveHandler().Generic(context.Background(), event.GenericEvent{Object: &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "resync-2"}}}, q)
	var got []string
	for range 4 {
		item, _, _ := q.GetWithPriority()
		got = append(got, item.Name)
		q.Done(item)
	}
	want := []string{"wave", "resync-2", "event", "resync-1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("queue order %v, want %v", got, want)
		}
	}
	r := &Reconciler{Options: Options{ResyncPeriod: duration.Of(DefaultResyncPeriod)}}
	if res := r.resyncAfter(); res.Priority == nil || *res.Priority != ResyncPriority || res.RequeueAfter <= 0 {
		t.Fatalf("resync result %+v", res)
	}
}
