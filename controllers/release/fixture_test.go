package release

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

const (
	projectID = "jnpllgp66z"
	bucket    = "kkp-backups"
	endpoint  = "https://s3.eu.example.com"
)

// newCBSL is a CBSL of the project in KKP's namespace, as KKP's dashboard
// writes it. The release loop never reads its Secret (the credentials
// loop does), so none is created.
func newCBSL(name, bkt, pfx string) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: DefaultStateNamespace, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bkt, Prefix: pfx}},
			Config:      map[string]string{"region": "eu-central-1", "s3Url": endpoint, "s3ForcePathStyle": "true"},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "credential-" + name + "-x7k2p"}, Key: "cloud-credentials"},
		},
	}
}

// newCluster is a KKP Cluster of the project using CBSL cbsl ("" none).
func newCluster(id, cbsl string) *kkpv1.Cluster {
	c := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}}}
	if cbsl != "" {
		c.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl}}
	}
	return c
}

// create creates objects on the seed and deletes them when the test ends.
func (e *env) create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		testenv.Must(t, e.seed.Client.Create(context.Background(), o))
		t.Cleanup(func() { _ = e.seed.Client.Delete(context.Background(), o) })
	}
}

// register writes what KKP keeps on the seed for a user cluster: namespace
// cluster-<id> with Secret admin-kubeconfig (key kubeconfig) reaching the
// shared user API server as a system:masters user.
func (e *env) register(t *testing.T, id string) {
	t.Helper()
	u, err := e.user.Env.AddUser(envtest.User{Name: "kkp-admin-" + id, Groups: []string{"system:masters"}}, nil)
	testenv.Must(t, err)
	kc, err := u.KubeConfig()
	testenv.Must(t, err)
	e.registerKubeconfig(t, id, kc)
}

// registerKubeconfig writes kubeconfig kc as cluster id's admin kubeconfig.
func (e *env) registerKubeconfig(t *testing.T, id string, kc []byte) {
	t.Helper()
	ns := userclient.DefaultNamespacePrefix + id
	e.create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	e.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: ns},
		Data:       map[string][]byte{userclient.DefaultSecretKey: kc},
	})
}

// counts are one user cluster's HTTP round trips.
type counts struct {
	reads, writes atomic.Int64
	mu            sync.Mutex
	requests      []string
}

func (n *counts) add(r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		n.reads.Add(1)
	} else {
		n.writes.Add(1)
	}
	n.mu.Lock()
	n.requests = append(n.requests, r.Method+" "+r.URL.Path)
	n.mu.Unlock()
}

// String lists the requests counted.
func (n *counts) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.requests, ", ")
}

func (n *counts) reset() {
	n.reads.Store(0)
	n.writes.Store(0)
	n.mu.Lock()
	n.requests = nil
	n.mu.Unlock()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingClients reaches user clusters through controllers/userclient's
// validated, bounded rest.Config (so a missing or refused kubeconfig fails
// as in production) and counts every round trip per cluster.
type countingClients struct {
	users *userclient.Clients

	mu        sync.Mutex
	clients   map[string]client.Client
	counts    map[string]*counts
	forgotten []string
}

func newCountingClients(t *testing.T, e *env) *countingClients {
	t.Helper()
	u, err := userclient.New(e.seed.Client, nil, userclient.Options{})
	testenv.Must(t, err)
	return &countingClients{users: u, clients: map[string]client.Client{}, counts: map[string]*counts{}}
}

// For implements Clients.
func (c *countingClients) For(ctx context.Context, id string) (client.Client, error) {
	cfg, err := c.users.RESTConfig(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[id]; ok {
		return cl, nil
	}
	n := &counts{}
	inner := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if inner != nil {
			rt = inner(rt)
		}
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n.add(r)
			return rt.RoundTrip(r)
		})
	}
	cl, err := client.New(cfg, client.Options{Scheme: kubeenv.Scheme()})
	if err != nil {
		return nil, err
	}
	c.clients[id], c.counts[id] = cl, n
	return cl, nil
}

// Forget implements Clients.
func (c *countingClients) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, id)
	c.forgotten = append(c.forgotten, id)
	c.users.Forget(id)
}

// count returns cluster id's counters (zero before its first request).
func (c *countingClients) count(id string) *counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.counts[id]; ok {
		return n
	}
	return &counts{}
}

// recorded counts the Events a loop records, by cluster and reason, and
// passes them on to the seed.
type recorded struct {
	events.EventRecorder
	mu sync.Mutex
	n  map[string]int
}

// Eventf implements events.EventRecorder.
func (r *recorded) Eventf(regarding, related runtime.Object, typ, reason, action, note string, args ...any) {
	if m, err := meta.Accessor(regarding); err == nil {
		r.mu.Lock()
		r.n[m.GetName()+"/"+reason]++
		r.mu.Unlock()
	}
	r.EventRecorder.Eventf(regarding, related, typ, reason, action, note, args...)
}

// count returns how many Events with reason were recorded on cluster id.
func (r *recorded) count(id, reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[id+"/"+reason]
}

// total returns how many Events were recorded on cluster id.
func (r *recorded) total(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, v := range r.n {
		if strings.HasPrefix(k, id+"/") {
			n += v
		}
	}
	return n
}

// loop is a Reconciler with what the tests look at.
type loop struct {
	*Reconciler
	users  *countingClients
	reg    *prometheus.Registry
	events *recorded
}

// newLoop builds a Reconciler on the shared seed with options o (New
// defaults and validates them) and settings s.
func (e *env) newLoop(t *testing.T, o Options, s Settings) *loop {
	t.Helper()
	users := newCountingClients(t, e)
	reg := prometheus.NewRegistry()
	rec := &recorded{EventRecorder: e.recorder, n: map[string]int{}}
	r, err := New(e.seed.Client, e.seed.Client, users, o, s, rec, NewMetrics(reg))
	testenv.Must(t, err)
	return &loop{Reconciler: r, users: users, reg: reg, events: rec}
}

// reconcile runs one reconcile of cluster id.
func (l *loop) reconcile(t *testing.T, id string) (reconcile.Result, error) {
	t.Helper()
	return l.Reconcile(context.Background(), reconcile.Request{NamespacedName: client.ObjectKey{Name: id}})
}

// mustReconcile runs one reconcile and fails t on an error.
func (l *loop) mustReconcile(t *testing.T, id string) {
	t.Helper()
	if _, err := l.reconcile(t, id); err != nil {
		t.Fatalf("reconcile %s: %v", id, err)
	}
}

// wantPhase fails t unless cluster id's state has the phase.
func (l *loop) wantPhase(t *testing.T, id string, want Phase) State {
	t.Helper()
	s, ok := l.State(id)
	if !ok || s.Phase != want {
		t.Fatalf("state of %s = %+v (known %v), want phase %s", id, s, ok, want)
	}
	return s
}

// gauge returns a gauge's value with exactly these labels, if present.
func (l *loop) gauge(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := l.reg.Gather()
	testenv.Must(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metric
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// waitEvent waits for an Event with reason on Cluster id whose note holds
// every one of parts, and returns its note.
func (e *env) waitEvent(t *testing.T, id, reason string, parts ...string) string {
	t.Helper()
	return kubeenv.WaitEvent(t, e.seed.Client, kkpv1.KindCluster, id, reason, parts...)
}

// userGet reads an object of the user cluster; nil when it does not exist.
func (e *env) userGet(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := e.user.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)
	if apierrors.IsNotFound(err) {
		return nil
	}
	testenv.Must(t, err)
	return u
}

// Kinds the tests read in user clusters.
var (
	gvkNamespace  = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	gvkConfigMap  = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	gvkDeployment = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkDaemonSet  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
	gvkBSL        = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "BackupStorageLocation"}
	gvkSchedule   = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Schedule"}
	gvkBackup     = schema.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Backup"}
)

// subsetDiff returns the paths where got does not hold want: every field
// of want with an equal value (lists element by element, same length). The
// API server adds defaults and metadata, never changes what was applied; it
// drops empty maps and lists, which count as absent.
func subsetDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		if len(w) == 0 {
			return nil
		}
		if g == nil {
			return []string{fmt.Sprintf("%s: missing (want %v)", path, short(w))}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, subsetDiff(path+"."+k, w[k], g[k])...)
		}
		return out
	case []any:
		g, _ := got.([]any)
		if len(w) == 0 && len(g) == 0 {
			return nil
		}
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: %d items, want %d", path, len(g), len(w))}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if reflect.DeepEqual(want, got) || fmt.Sprint(want) == fmt.Sprint(got) && reflect.TypeOf(want) != reflect.TypeOf("") {
			return nil
		}
		return []string{fmt.Sprintf("%s: got %v, want %v", path, short(got), short(want))}
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
