package userclient

import (
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// hostileAPIServer serves discovery of namespaces like an API server, and
// the namespace list with list, the way a tenant's aggregated APIService
// could answer. It returns a kubeconfig of it, stored as cluster id's.
func hostileAPIServer(t *testing.T, id string, list http.HandlerFunc) {
	t.Helper()
	mux := http.NewServeMux()
	reply := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}
	}
	mux.HandleFunc("GET /api", reply(`{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}`))
	mux.HandleFunc("GET /apis", reply(`{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`))
	mux.HandleFunc("GET /api/v1", reply(`{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list"]}]}`))
	mux.HandleFunc("GET /api/v1/namespaces", list)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["hostile"] = &clientcmdapi.Cluster{
		Server:                   srv.URL,
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
	}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: secretToken}
	cfg.Contexts["hostile"] = &clientcmdapi.Context{Cluster: "hostile", AuthInfo: "admin"}
	cfg.CurrentContext = "hostile"
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	putKubeconfig(t, id, kc)
}

// endlessList answers a NamespaceList that never ends, in chunks.
func endlessList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[`)
	var chunk strings.Builder
	for i := range 256 {
		chunk.WriteString(`{"metadata":{"name":"ns-` + strconv.Itoa(i) + `","labels":{"filler":"` + strings.Repeat("x", 100) + `"}}},`)
	}
	b := []byte(chunk.String())
	for r.Context().Err() == nil {
		if _, err := w.Write(b); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

// allocFactor × MaxBodyBytes bounds what reading one cut-off answer may
// allocate: io.ReadAll's growing chunks and final copy, TLS records, and
// the test server's writes.
var allocFactor uint64 = 4

func TestHostileEndlessListIsCutOff(t *testing.T) {
	const max = 1 << 20
	hostileAPIServer(t, "endless", endlessList)
	c := newClients(t, Options{MaxBodyBytes: max})
	cl, err := c.For(t.Context(), "endless")
	if err != nil {
		t.Fatal(err)
	}

	// Discovery first, so that only the list is measured.
	if _, err := cl.RESTMapper().RESTMapping(corev1.SchemeGroupVersion.WithKind("Namespace").GroupKind(), "v1"); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err = cl.List(t.Context(), &corev1.NamespaceList{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if took > 2*time.Second {
		t.Errorf("cut off after %s", took)
	}
	if strings.Contains(err.Error(), "filler") || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("the error quotes the body: %.300s", err)
	}
	// All bytes allocated during the call (garbage included) bound how far
	// the heap can have grown.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > allocFactor*max {
		t.Errorf("the list allocated %d bytes, more than %d × %d", alloc, allocFactor, max)
	} else {
		t.Logf("cut off after %s, %d bytes allocated", took, alloc)
	}
}

func TestHostileContentLengthIsRefusedUnread(t *testing.T) {
	hostileAPIServer(t, "declared", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(1<<40))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"kind":"NamespaceList","apiVersion":"v1","items":[`)
	})
	c := newClients(t, Options{MaxBodyBytes: 1 << 20})
	cl, err := c.For(t.Context(), "declared")
	if err != nil {
		t.Fatal(err)
	}
	err = cl.List(t.Context(), &corev1.NamespaceList{})
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "Content-Length") {
		t.Fatalf("err = %v, want ErrBodyTooLarge for the Content-Length", err)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	hostileAPIServer(t, "silent", func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before the server closes
	c := newClients(t, Options{Timeout: duration.Of(500 * time.Millisecond)})
	cl, err := c.For(t.Context(), "silent")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = cl.List(t.Context(), &corev1.NamespaceList{})
	took := time.Since(start)
	if err == nil {
		t.Fatal("a server that never answers answered")
	}
	if took < 400*time.Millisecond || took > 2*time.Second {
		t.Fatalf("gave up after %s with timeout 500ms: %v", took, err)
	}
	t.Logf("gave up after %s: %v", took, err)
}
