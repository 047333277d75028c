package userclient

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// namespaces lists the cluster's namespace names through cl.
func namespaces(t *testing.T, cl client.Client) []string {
	t.Helper()
	var list corev1.NamespaceList
	if err := cl.List(t.Context(), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	return names
}

func TestForCachesUntilKubeconfigChanges(t *testing.T) {
	ctx := t.Context()
	c := newClients(t, Options{})
	putKubeconfig(t, "cache", userKubeconfig(t, "cache-a"))

	first, err := c.For(ctx, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if names := namespaces(t, first); !slices.Contains(names, "default") {
		t.Fatalf("namespaces %v lack default", names)
	}
	again, err := c.For(ctx, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if again != first || c.Len() != 1 {
		t.Fatalf("second For built a new client (same: %v, Len %d)", again == first, c.Len())
	}

	putKubeconfig(t, "cache", userKubeconfig(t, "cache-b"))
	replaced, err := c.For(ctx, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if replaced == first || c.Len() != 1 {
		t.Fatalf("a changed kubeconfig kept the old client (same: %v, Len %d)", replaced == first, c.Len())
	}
	namespaces(t, replaced)

	c.Forget("cache")
	if c.Len() != 0 {
		t.Fatalf("Len after Forget = %d", c.Len())
	}
	rebuilt, err := c.For(ctx, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt == replaced {
		t.Fatal("For after Forget returned the forgotten client")
	}
}

func TestForWithoutKubeconfig(t *testing.T) {
	ctx := t.Context()
	c := newClients(t, Options{})
	putSecret(t, "cluster-nokey", DefaultSecretName, map[string][]byte{"other": []byte("x")})
	putSecret(t, "cluster-emptykey", DefaultSecretName, map[string][]byte{DefaultSecretKey: nil})
	for _, id := range []string{"absent", "nokey", "emptykey"} {
		_, err := c.For(ctx, id)
		if !errors.Is(err, ErrNoKubeconfig) {
			t.Errorf("%s: err = %v, want ErrNoKubeconfig", id, err)
		}
	}

	// A cached client goes when its Secret goes.
	putKubeconfig(t, "gone", userKubeconfig(t, "gone"))
	if _, err := c.For(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "cluster-gone", Name: DefaultSecretName}}
	if err := sharedKube(t).Client.Delete(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := c.For(ctx, "gone"); !errors.Is(err, ErrNoKubeconfig) {
		t.Fatalf("after deleting the Secret: err = %v, want ErrNoKubeconfig", err)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d after the Secret went", c.Len())
	}

	if _, err := c.For(ctx, "Not_A_Name"); err == nil {
		t.Fatal("a cluster ID that makes no namespace name was accepted")
	}
}

// KKP's seed controllers use internal-admin-kubeconfig, as ours do by
// default; admin-kubeconfig works when named.
func TestSecretNameIsConfigurable(t *testing.T) {
	c := newClients(t, Options{SecretName: "admin-kubeconfig"})
	putSecret(t, "cluster-internal", "admin-kubeconfig", map[string][]byte{DefaultSecretKey: userKubeconfig(t, "kubermatic-controllers")})
	cl, err := c.For(t.Context(), "internal")
	if err != nil {
		t.Fatal(err)
	}
	namespaces(t, cl)
}

func TestRESTConfigIsABoundedCopy(t *testing.T) {
	ctx := t.Context()
	o := Options{Timeout: duration.Of(3 * time.Second), QPS: 7, Burst: 3, MaxBodyBytes: 1 << 20, UserAgent: "userclient-test"}
	c := newClients(t, o)
	kc := userKubeconfig(t, "rest")
	putKubeconfig(t, "rest-a", kc)
	putKubeconfig(t, "rest-b", kc)

	a, err := c.RESTConfig(ctx, "rest-a")
	if err != nil {
		t.Fatal(err)
	}
	if a.Timeout != o.Timeout.Duration || a.UserAgent != o.UserAgent || a.QPS != o.QPS || a.Burst != o.Burst ||
		a.RateLimiter == nil || a.RateLimiter.QPS() != o.QPS || a.WrapTransport == nil || a.Dial == nil {
		t.Fatalf("config not bounded: timeout %s, user agent %q, qps %v, burst %d, limiter %v, wrap %v, dial %v",
			a.Timeout, a.UserAgent, a.QPS, a.Burst, a.RateLimiter, a.WrapTransport != nil, a.Dial != nil)
	}
	if _, ok := a.WarningHandler.(rest.NoWarnings); !ok || a.ExecProvider != nil || a.AuthProvider != nil || a.BearerTokenFile != "" || a.Insecure {
		t.Fatalf("config reaches outside the kubeconfig or logs warnings: %+v", a)
	}
	a.Timeout = 0
	again, err := c.RESTConfig(ctx, "rest-a")
	if err != nil {
		t.Fatal(err)
	}
	if again.Timeout != o.Timeout.Duration {
		t.Fatal("RESTConfig handed out the cached config, not a copy")
	}
	if again.RateLimiter != a.RateLimiter {
		t.Fatal("copies of one cluster's config do not share its rate limiter")
	}
	b, err := c.RESTConfig(ctx, "rest-b")
	if err != nil {
		t.Fatal(err)
	}
	if b.RateLimiter == a.RateLimiter {
		t.Fatal("two clusters share a rate limiter")
	}
	cs, err := kubernetes.NewForConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatal(err)
	}
}

func TestRequestsAreRateLimitedPerCluster(t *testing.T) {
	c := newClients(t, Options{QPS: 10, Burst: 1})
	putKubeconfig(t, "slow", userKubeconfig(t, "slow"))
	cl, err := c.For(t.Context(), "slow")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 4 {
		if err := cl.Get(t.Context(), client.ObjectKey{Name: "default"}, &corev1.Namespace{}); err != nil {
			t.Fatal(err)
		}
	}
	// Four requests (and discovery) at 10/s with a burst of 1: ≥ 3 × 100ms.
	if d := time.Since(start); d < 270*time.Millisecond {
		t.Fatalf("4 requests took %s at QPS 10, burst 1", d)
	}
}

// Response bodies hold Secret data: client-go logs them through the
// context's logger at verbosity 8; the clients of For never do.
func TestRequestsDoNotLogBodies(t *testing.T) {
	ctx := t.Context()
	const marker = "QUIET-MARKER-7f3a"
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "quiet"}, Data: map[string]string{"k": marker}}
	if err := sharedKube(t).Client.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	c := newClients(t, Options{})
	putKubeconfig(t, "quiet", userKubeconfig(t, "quiet"))
	var mu sync.Mutex
	var logs strings.Builder
	verbose := logr.NewContext(ctx, funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 10}))
	logged := func() string { mu.Lock(); defer mu.Unlock(); return logs.String() }

	// The test can see a body in the log: a plain client logs it.
	cfg, err := c.RESTConfig(ctx, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Unstructured objects travel as JSON (typed built-ins as protobuf,
	// logged as a hex dump), so the marker shows whole.
	asJSON := func() *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
		return u
	}
	if err := plain.Get(verbose, client.ObjectKeyFromObject(cm), asJSON()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged(), marker) {
		t.Fatalf("a plain client at verbosity 10 did not log the body; the test proves nothing:\n%s", logged())
	}

	mu.Lock()
	logs.Reset()
	mu.Unlock()
	cl, err := c.For(ctx, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Get(verbose, client.ObjectKeyFromObject(cm), asJSON()); err != nil {
		t.Fatal(err)
	}
	if err := cl.Get(verbose, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	var list corev1.ConfigMapList
	if err := cl.List(verbose, &list, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	if out := logged(); out != "" {
		t.Fatalf("requests logged through the caller's logger:\n%s", out)
	}
}

func TestConcurrentForBuildsOneClient(t *testing.T) {
	c := newClients(t, Options{})
	putKubeconfig(t, "concurrent", userKubeconfig(t, "concurrent"))
	got := make([]client.Client, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			cl, err := c.For(t.Context(), "concurrent")
			if err != nil {
				t.Error(err)
			}
			got[i] = cl
		})
	}
	wg.Wait()
	for _, cl := range got[1:] {
		if cl != got[0] {
			t.Fatal("concurrent For calls built different clients")
		}
	}
}

// Forget closes the cluster's connections: no goroutine of its transport
// outlives it.
func TestForgetLeavesNoGoroutines(t *testing.T) {
	c := newClients(t, Options{})
	putKubeconfig(t, "leak", userKubeconfig(t, "leak"))
	cycle := func() {
		cl, err := c.For(t.Context(), "leak")
		if err != nil {
			t.Fatal(err)
		}
		namespaces(t, cl)
		c.Forget("leak")
	}
	cycle() // once for goroutines started on first use only
	before := runtime.NumGoroutine()
	for range 3 {
		cycle()
	}
	testenv.Eventually(t, 10*time.Second, "goroutines back to the count before", func() (bool, error) {
		n := runtime.NumGoroutine()
		return n <= before, fmt.Errorf("%d goroutines, %d before", n, before)
	})
}
