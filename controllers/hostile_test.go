package controllers_test

import (
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/credentials"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// tenantToken is the hostile user cluster's bearer token; it must never be
// logged.
const tenantToken = "tenant-token-9f3Kq2LmZx"

// endlessServer answers every request with a JSON list that never ends, as
// a user-cluster admin can through an aggregated APIService. It counts the
// requests and the bytes it managed to write to each.
type endlessServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	written  []int64
	active   sync.WaitGroup
}

func startEndless(t *testing.T) *endlessServer {
	t.Helper()
	e := &endlessServer{}
	chunk := strings.Repeat(`{"metadata":{"name":"x","labels":{"filler":"`+strings.Repeat("y", 200)+`"}}},`, 64)
	e.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.active.Add(1)
		defer e.active.Done()
		e.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		n, _ := io.WriteString(w, `{"kind":"List","apiVersion":"v1","metadata":{},"items":[`)
		total := int64(n)
		for r.Context().Err() == nil && total < 1<<30 {
			n, err := io.WriteString(w, chunk)
			total += int64(n)
			if err != nil {
				break
			}
		}
		e.mu.Lock()
		e.written = append(e.written, total)
		e.mu.Unlock()
	}))
	t.Cleanup(e.Close)
	return e
}

// kubeconfig returns a kubeconfig of the server that passes userclient's
// rules (https, inline CA, a token).
func (e *endlessServer) kubeconfig(t *testing.T) []byte {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["tenant"] = &clientcmdapi.Cluster{Server: e.URL, CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.Certificate().Raw})}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: tenantToken}
	cfg.Contexts["tenant"] = &clientcmdapi.Context{Cluster: "tenant", AuthInfo: "admin"}
	cfg.CurrentContext = "tenant"
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestHostileUserClusterCannotStallAdmission: a user cluster whose API
// server streams an endless answer to every request meets the credentials
// and release loops; every answer is cut at the body limit, the loops
// report the failure on the Cluster, and the seed webhooks keep admitting
// CBSL writes promptly all along. No token reaches a log or an Event.
func TestHostileUserClusterCannotStallAdmission(t *testing.T) {
	ctx := context.Background()
	sd := startSeed(t)
	s := sd.S3
	secret(t, sd, "good", s.RootAccessKey, s.RootSecretKey)
	if err := sd.Client.Create(ctx, cbsl(sd, "loc", "backups", "good")); err != nil {
		t.Fatal(err)
	}
	hostile := startEndless(t)
	const id = "hostile7x2q"
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultNamespacePrefix + id}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: userclient.DefaultSecretName, Namespace: userclient.DefaultNamespacePrefix + id},
			Data: map[string][]byte{userclient.DefaultSecretKey: hostile.kubeconfig(t)}},
	} {
		if err := sd.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	const limit = 1 << 20
	sd.StartControllers(t, controllers.Options{
		Users:       userclient.Options{MaxBodyBytes: limit, Timeout: duration.Of(5 * time.Second)},
		Credentials: credentials.Options{Enabled: true, ResyncPeriod: duration.Of(time.Second), ControllerName: "credentials-hostile"},
		Release:     release.Options{Enabled: true, ResyncPeriod: duration.Of(time.Second), ControllerName: "release-hostile"},
	})
	if err := sd.Client.Create(ctx, cluster(id, "p1", "loc")); err != nil {
		t.Fatal(err)
	}

	// While the loops keep reading endless answers, admission answers.
	var slowest time.Duration
	for i := 0; hostile.requests.Load() < 6 || i < 10; i++ {
		if i > 200 {
			t.Fatalf("the loops sent %d requests to the hostile cluster in %d rounds, want 6", hostile.requests.Load(), i)
		}
		start := time.Now()
		c := cbsl(sd, "probe", "backups", "good")
		if err := sd.Client.Create(ctx, c, client.DryRunAll); err != nil {
			t.Fatalf("the seed webhook refused a CBSL while a hostile cluster streams: %v", err)
		}
		slowest = max(slowest, time.Since(start))
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d requests to the hostile cluster; slowest CBSL admission meanwhile %s", hostile.requests.Load(), slowest.Round(time.Millisecond))
	if slowest > 2*time.Second {
		t.Fatalf("a CBSL admission took %s while the loops read a hostile cluster, want under 2s", slowest)
	}

	// The loops report it on the Cluster, naming the limit, not the token.
	var notes strings.Builder
	testenv.Eventually(t, 30*time.Second, "failure Events of both loops on the Cluster", func() (bool, error) {
		var evs eventsv1.EventList
		if err := sd.Client.List(ctx, &evs); err != nil {
			return false, err
		}
		notes.Reset()
		var rel, cred bool
		for _, e := range evs.Items {
			if e.Regarding.Name != id || !strings.Contains(e.Note, userclient.ErrBodyTooLarge.Error()) {
				continue
			}
			notes.WriteString(e.Note + "\n")
			rel = rel || e.Reason == release.ReasonFailed
			cred = cred || e.Reason == credentials.ReasonFailed
		}
		return rel && cred, nil
	})

	// Every answer was cut: the server stopped writing soon after the limit.
	hostile.CloseClientConnections()
	hostile.active.Wait()
	hostile.mu.Lock()
	defer hostile.mu.Unlock()
	var most int64
	for _, n := range hostile.written {
		most = max(most, n)
	}
	t.Logf("largest answer written before the client hung up: %d bytes (limit %d)", most, limit)
	// What the server wrote includes what the kernel buffered for a reader
	// that had already stopped; 32× the limit still means "cut", while an
	// unbounded read runs to the server's own 1 GiB stop.
	if len(hostile.written) == 0 || most > 32*limit {
		t.Fatalf("answers written: %v; want every one cut near the %d-byte limit", hostile.written, limit)
	}
	assertNoSecret(t, logs.String()+notes.String(), tenantToken)
}
