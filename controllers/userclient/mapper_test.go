package userclient

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// TestKnownKindsMatchDiscovery: every kind of the static table is served
// by a real API server (with Velero's CRDs) under the resource name and
// scope the table gives it.
func TestKnownKindsMatchDiscovery(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(sharedKube(t).Config)
	if err != nil {
		t.Fatal(err)
	}
	served := map[schema.GroupVersionKind]bool{} // kind -> namespaced
	resources := map[schema.GroupVersionKind]string{}
	for _, k := range knownKinds {
		gv := k.gvk.GroupVersion()
		if _, done := served[k.gvk]; done {
			continue
		}
		list, err := dc.ServerResourcesForGroupVersion(gv.String())
		if err != nil {
			t.Fatalf("discovery of %s: %v", gv, err)
		}
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") {
				g := gv.WithKind(r.Kind)
				served[g], resources[g] = r.Namespaced, r.Name
			}
		}
	}
	m := staticMapper()
	for _, k := range knownKinds {
		ns, ok := served[k.gvk]
		if !ok {
			t.Errorf("%s is not served", k.gvk)
			continue
		}
		mapping, err := m.RESTMapping(k.gvk.GroupKind(), k.gvk.Version)
		if err != nil {
			t.Errorf("static mapping of %s: %v", k.gvk, err)
			continue
		}
		if mapping.Resource.Resource != resources[k.gvk] || (mapping.Scope.Name() == meta.RESTScopeNameNamespace) != ns {
			t.Errorf("%s: static %s (%s), served %s (namespaced %v)", k.gvk, mapping.Resource.Resource, mapping.Scope.Name(), resources[k.gvk], ns)
		}
	}
}

// TestKnownKindsNeedNoDiscovery: a client of Clients reads and lists the
// kinds of the table without one discovery request, and still reaches a
// kind outside it through the cluster's discovery.
func TestKnownKindsNeedNoDiscovery(t *testing.T) {
	var discoveries atomic.Int64
	cfg := rest.CopyConfig(sharedKube(t).Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			if p := r.URL.Path; p == "/api" || p == "/apis" || strings.Count(p, "/") <= 3 && strings.HasPrefix(p, "/apis/") || p == "/api/v1" {
				discoveries.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := apiutil.NewDynamicRESTMapper(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: defaultScheme(), HTTPClient: hc, Mapper: fallbackMapper{static: staticMapper(), dynamic: dyn}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.List(ctx, &corev1.SecretList{}, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	if err := c.List(ctx, &velerov1.BackupStorageLocationList{}, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	if err := c.List(ctx, &corev1.NamespaceList{}); err != nil {
		t.Fatal(err)
	}
	if n := discoveries.Load(); n != 0 {
		t.Fatalf("%d discovery requests for kinds of the static table", n)
	}
	other := &unstructured.UnstructuredList{}
	other.SetGroupVersionKind(schema.GroupVersionKind{Group: "storage.k8s.io", Version: "v1", Kind: "StorageClassList"})
	if err := c.List(ctx, other); err != nil {
		t.Fatalf("a kind outside the table: %v", err)
	}
	if discoveries.Load() == 0 {
		t.Fatal("a kind outside the table was mapped without discovery")
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMaxClientsEvictsLeastRecentlyUsed: with a bound, the least recently
// used client goes, and its cluster gets a working new one on its next
// For.
func TestMaxClientsEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := t.Context()
	c := newClients(t, Options{MaxClients: 2})
	kc := userKubeconfig(t, "bounded")
	for _, id := range []string{"lru-a", "lru-b", "lru-c"} {
		putKubeconfig(t, id, kc)
	}
	a, err := c.For(ctx, "lru-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.For(ctx, "lru-b"); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.For(ctx, "lru-a"); again != a { // a is now the most recent
		t.Fatal("a cached client was rebuilt")
	}
	if _, err := c.For(ctx, "lru-c"); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 || c.Evicted() != 1 {
		t.Fatalf("Len %d, Evicted %d; want 2, 1", c.Len(), c.Evicted())
	}
	if again, _ := c.For(ctx, "lru-a"); again != a {
		t.Fatal("the recently used client was evicted instead of lru-b's")
	}
	b, err := c.For(ctx, "lru-b")
	if err != nil {
		t.Fatal(err)
	}
	namespaces(t, b)
	if c.Len() != 2 || c.Evicted() != 2 {
		t.Fatalf("Len %d, Evicted %d; want 2, 2", c.Len(), c.Evicted())
	}
}

// TestIdleTimeoutReachesTheTransport: a client of Clients closes its
// connections after idleTimeout, not client-go's 90s: the setting reaches
// the *http.Transport below the client's wrappers.
func TestIdleTimeoutReachesTheTransport(t *testing.T) {
	c := newClients(t, Options{})
	putKubeconfig(t, "idle", userKubeconfig(t, "idle"))
	e, err := c.entry(t.Context(), "idle")
	if err != nil {
		t.Fatal(err)
	}
	rt := e.http.Transport
	for {
		if w, ok := rt.(interface{ WrappedRoundTripper() http.RoundTripper }); ok {
			rt = w.WrappedRoundTripper()
			continue
		}
		break
	}
	tr, ok := rt.(*http.Transport)
	if !ok {
		t.Fatalf("innermost transport is a %T, not an *http.Transport", rt)
	}
	if tr.IdleConnTimeout != idleTimeout {
		t.Fatalf("idle timeout %s, want %s", tr.IdleConnTimeout, idleTimeout)
	}
}
