//go:build seedbench

package seedscale

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// clusterLabel marks, on a shared backend, the scratch namespaces of one
// benchmark cluster (drillFront).
const clusterLabel = "seedscale.clusterbackup.io/cluster"

// drillFront sits in front of mux for the drill benchmark. Scratch
// Namespaces are cluster-scoped objects with unique names (drill-<run>-<n>),
// so mux passes them through; but a drill finds its leftovers by label, and
// on a shared backend it would find — and delete — the scratch namespaces
// of another cluster's running drill. drillFront keeps clusters apart
// there: a Namespace created through /c/<id> gets the label clusterLabel=<id>,
// and a list of Namespaces by the drill label through /c/<id> is narrowed to
// that label. Everything else goes to mux unchanged (counted there).
type drillFront struct {
	m     *mux
	addr  string
	caPEM []byte
}

func startDrillFront(t *testing.T, m *mux) *drillFront {
	t.Helper()
	f := &drillFront{m: m}
	cert, caPEM := selfSigned(t)
	f.caPEM = caPEM
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, err)
	f.addr = l.Addr().String()
	srv := &http.Server{Handler: f, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// server is cluster id's API server URL.
func (f *drillFront) server(id string) string { return "https://" + f.addr + "/c/" + id }

func (f *drillFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/c/")
	id, p, _ := strings.Cut(rest, "/")
	if p == "api/v1/namespaces" && id != "" {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			if sel := q.Get("labelSelector"); strings.Contains(sel, core.Label) {
				q.Set("labelSelector", sel+","+clusterLabel+"="+id)
				r.URL.RawQuery = q.Encode()
			}
		case http.MethodPost:
			if err := labelNamespace(r, id); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
	}
	f.m.ServeHTTP(w, r)
}

// labelNamespace adds clusterLabel=id to the Namespace in r's body (JSON or
// protobuf; rewritten as JSON).
func labelNamespace(r *http.Request, id string) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	var ns corev1.Namespace
	if strings.HasPrefix(r.Header.Get("Content-Type"), runtime.ContentTypeProtobuf) {
		obj, _, err := protobufCodec.Decode(b, nil, nil)
		if err != nil {
			return err
		}
		p, ok := obj.(*corev1.Namespace)
		if !ok {
			return fmt.Errorf("a %T where a Namespace was expected", obj)
		}
		ns = *p
	} else if err := json.Unmarshal(b, &ns); err != nil {
		return err
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[clusterLabel] = id
	ns.APIVersion, ns.Kind = "v1", "Namespace"
	out, err := json.Marshal(&ns)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(strings.NewReader(string(out)))
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	r.Header.Set("Content-Type", runtime.ContentTypeJSON)
	return nil
}

// veleroStandIn plays, on one backend kube-apiserver (no Velero, no
// controller-manager), the part of Velero and of Kubernetes' namespace and
// garbage collectors that a drill waits for, in every cluster of the
// backend: a new Restore goes InProgress at once and Completed after took
// (from when the stand-in first saw it), with the progress Velero reports
// for a whole restore of the backup's restored namespaces (items from the
// resource list, as the drill counts them) and one Completed
// PodVolumeRestore per PodVolumeBackup of those namespaces, with the bytes
// the backup wrote; PodVolumeRestores of deleted Restores are deleted (their
// owner is gone); a terminating scratch namespace loses the objects the
// drill put there and is finalized (namespaces/finalize). It polls every
// 250 ms.
type veleroStandIn struct {
	c    client.Client
	cs   kubernetes.Interface
	took time.Duration
	list core.ResourceList
	pvbs []velerov1.PodVolumeBackup

	mu   sync.Mutex
	seen map[types.UID]time.Time
}

func startVeleroStandIn(t *testing.T, k *kubeenv.ControlPlane, took time.Duration, list core.ResourceList, pvbs []velerov1.PodVolumeBackup) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(k.Config)
	testenv.Must(t, err)
	s := &veleroStandIn{c: k.Client, cs: cs, took: took, list: list, pvbs: pvbs, seen: map[types.UID]time.Time{}}
	testenv.Every(t, 250*time.Millisecond, s.sync)
}

func (s *veleroStandIn) sync(ctx context.Context) {
	var rs velerov1.RestoreList
	if err := s.c.List(ctx, &rs); err != nil {
		return
	}
	live := map[string]bool{}
	for i := range rs.Items {
		r := &rs.Items[i]
		live[r.Namespace+"/"+r.Name] = true
		s.restore(ctx, r)
	}
	var pvrs velerov1.PodVolumeRestoreList
	if err := s.c.List(ctx, &pvrs); err == nil {
		for i := range pvrs.Items {
			p := &pvrs.Items[i]
			if !live[p.Namespace+"/"+p.Labels[velerov1.RestoreNameLabel]] {
				_ = client.IgnoreNotFound(s.c.Delete(ctx, p))
			}
		}
	}
	var nss corev1.NamespaceList
	if err := s.c.List(ctx, &nss, client.MatchingLabels(core.Selector())); err != nil {
		return
	}
	for i := range nss.Items {
		if ns := &nss.Items[i]; ns.DeletionTimestamp != nil {
			s.finalize(ctx, ns)
		}
	}
}

// restore moves one Restore along.
func (s *veleroStandIn) restore(ctx context.Context, r *velerov1.Restore) {
	if r.Status.Phase != "" && r.Status.Phase != velerov1.RestorePhaseNew && r.Status.Phase != velerov1.RestorePhaseInProgress {
		return
	}
	s.mu.Lock()
	first, ok := s.seen[r.UID]
	if !ok {
		first = time.Now()
		s.seen[r.UID] = first
	}
	s.mu.Unlock()
	now := metav1.Now()
	switch r.Status.Phase {
	case "", velerov1.RestorePhaseNew:
		r.Status.Phase, r.Status.StartTimestamp = velerov1.RestorePhaseInProgress, &now
		_ = s.c.Update(ctx, r)
	case velerov1.RestorePhaseInProgress:
		if time.Since(first) < s.took {
			return
		}
		for i, b := range s.pvbs {
			src := b.Spec.Pod.Namespace
			if !slices.Contains(r.Spec.IncludedNamespaces, src) {
				continue
			}
			pvr := &velerov1.PodVolumeRestore{
				ObjectMeta: metav1.ObjectMeta{Name: r.Name + "-" + strconv.Itoa(i), Namespace: r.Namespace, Labels: map[string]string{velerov1.RestoreNameLabel: r.Name}},
				Spec: velerov1.PodVolumeRestoreSpec{
					Pod:    corev1.ObjectReference{Kind: "Pod", Namespace: r.Spec.NamespaceMapping[src], Name: b.Spec.Pod.Name},
					Volume: b.Spec.Volume, BackupStorageLocation: b.Spec.BackupStorageLocation, RepoIdentifier: b.Spec.RepoIdentifier,
					UploaderType: b.Spec.UploaderType, SnapshotID: b.Status.SnapshotID, SourceNamespace: src,
				},
				Status: velerov1.PodVolumeRestoreStatus{Phase: velerov1.PodVolumeRestorePhaseCompleted, StartTimestamp: r.Status.StartTimestamp, CompletionTimestamp: &now},
			}
			pvr.Status.Progress.TotalBytes, pvr.Status.Progress.BytesDone = b.Status.Progress.TotalBytes, b.Status.Progress.TotalBytes
			if err := s.c.Create(ctx, pvr); err != nil && !apierrors.IsAlreadyExists(err) {
				return
			}
		}
		items, _ := s.list.Expected(r.Spec.IncludedNamespaces)
		r.Status.Phase, r.Status.CompletionTimestamp = velerov1.RestorePhaseCompleted, &now
		r.Status.Progress = &velerov1.RestoreProgress{TotalItems: items, ItemsRestored: items}
		if s.c.Update(ctx, r) == nil {
			s.mu.Lock()
			delete(s.seen, r.UID)
			s.mu.Unlock()
		}
	}
}

// finalize plays the namespace controller for a terminating scratch
// namespace: deletes what the drill put there, then finalizes it.
func (s *veleroStandIn) finalize(ctx context.Context, ns *corev1.Namespace) {
	in := client.InNamespace(ns.Name)
	if client.IgnoreNotFound(s.c.DeleteAllOf(ctx, &networkingv1.NetworkPolicy{}, in)) != nil ||
		client.IgnoreNotFound(s.c.DeleteAllOf(ctx, &corev1.ResourceQuota{}, in)) != nil {
		return
	}
	ns.Spec.Finalizers = nil
	_, _ = s.cs.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
}
