//go:build seedbench

package seedscale

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// mux gives every benchmark cluster its own user cluster API on a few real
// kube-apiservers: cluster <id> is https://127.0.0.1:<port>/c/<id>, served
// by backend hash(id) % len(backends). Requests are forwarded with the
// backend's admin identity after two rewrites that keep clusters sharing a
// backend apart: the Velero namespace becomes velero-<id> (in the path and
// in every "namespace" field of the body, and the Namespace object's name),
// and cluster-scoped objects other than CRDs and Namespaces get the suffix
// -<id> (path and metadata.name). CRDs are shared, as they are identical in
// every release. Answers are passed back as they are. Every request is
// counted per cluster.
type mux struct {
	backends []*httputil.ReverseProxy
	ns       string

	mu     sync.Mutex
	counts map[string]*clusterCount
	kinds  map[string]int64 // "METHOD resource" → requests
	srv    *http.Server
	addr   string
	caPEM  []byte
}

// clusterCount is one cluster's request counters.
type clusterCount struct{ reads, writes atomic.Int64 }

func startMux(t *testing.T, backends []*rest.Config, ns string) *mux {
	t.Helper()
	m := &mux{ns: ns, counts: map[string]*clusterCount{}, kinds: map[string]int64{}}
	for _, cfg := range backends {
		tr, err := rest.TransportFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(cfg.Host)
		if err != nil {
			t.Fatal(err)
		}
		rp := &httputil.ReverseProxy{
			Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host },
			Transport: tr,
		}
		m.backends = append(m.backends, rp)
	}
	cert, caPEM := selfSigned(t)
	m.caPEM = caPEM
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	m.srv = &http.Server{Handler: m, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = m.srv.Close() })
	return m
}

// server is cluster id's API server URL.
func (m *mux) server(id string) string { return "https://" + m.addr + "/c/" + id }

// count returns cluster id's counters.
func (m *mux) count(id string) *clusterCount {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counts[id]
	if !ok {
		c = &clusterCount{}
		m.counts[id] = c
	}
	return c
}

// reset zeroes every counter.
func (m *mux) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.counts {
		c.reads.Store(0)
		c.writes.Store(0)
	}
	m.kinds = map[string]int64{}
}

// byKind returns the requests by method and resource, most first.
func (m *mux) byKind() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for k, n := range m.kinds {
		all = append(all, kv{k, n})
	}
	slices.SortFunc(all, func(a, b kv) int { return int(b.n - a.n) })
	var parts []string
	for _, e := range all[:min(8, len(all))] {
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.n))
	}
	return strings.Join(parts, ", ")
}

// resourceOf names the resource of a request path (and "/name" for an object).
func resourceOf(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) > 0 && segs[0] == "api":
		segs = segs[min(2, len(segs)):]
	case len(segs) > 0 && segs[0] == "apis":
		segs = segs[min(3, len(segs)):]
	default:
		return p
	}
	if len(segs) >= 2 && segs[0] == "namespaces" {
		segs = segs[2:]
		if len(segs) == 0 {
			return "namespaces/x"
		}
	}
	if len(segs) >= 2 {
		return segs[0] + "/" + segs[1]
	}
	if len(segs) == 1 {
		return segs[0]
	}
	return "discovery"
}

// totals returns the counters as numbers per cluster.
func (m *mux) totals() map[string][2]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][2]int64, len(m.counts))
	for id, c := range m.counts {
		out[id] = [2]int64{c.reads.Load(), c.writes.Load()}
	}
	return out
}

func (m *mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/c/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	id, path, _ := strings.Cut(rest, "/")
	if id == "" {
		http.NotFound(w, r)
		return
	}
	c := m.count(id)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		c.reads.Add(1)
	} else {
		c.writes.Add(1)
	}
	m.mu.Lock()
	m.kinds[r.Method+" "+resourceOf("/"+path)]++
	m.mu.Unlock()
	r.URL.Path = m.rewritePath("/"+path, id)
	r.URL.RawPath = ""
	if r.Body != nil && r.ContentLength != 0 && r.Method != http.MethodGet {
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err == nil && strings.HasPrefix(r.Header.Get("Content-Type"), runtime.ContentTypeProtobuf) {
			// Typed built-ins travel as protobuf: rewrite them as JSON.
			if obj, gvk, derr := protobufCodec.Decode(b, nil, nil); derr == nil {
				obj.GetObjectKind().SetGroupVersionKind(*gvk)
				if j, jerr := json.Marshal(obj); jerr == nil {
					b = j
					r.Header.Set("Content-Type", runtime.ContentTypeJSON)
				}
			}
		}
		if err == nil {
			b = m.rewriteBody(b, id)
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
			r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		}
	}
	r.Header.Del("Authorization") // the backend's own identity is used
	m.backends[backendOf(id, len(m.backends))].ServeHTTP(w, r)
}

// protobufCodec decodes the built-in kinds' protobuf bodies.
var protobufCodec = protobuf.NewSerializer(clientgoscheme.Scheme, clientgoscheme.Scheme)

// backendOf spreads clusters over n backends.
func backendOf(id string, n int) int {
	h := 0
	for _, b := range []byte(id) {
		h = h*31 + int(b)
	}
	if h < 0 {
		h = -h
	}
	return h % n
}

// rewritePath maps one cluster's request path onto the shared backend.
func (m *mux) rewritePath(p, id string) string {
	segs := strings.Split(p, "/")
	// /api/v1/<rest> or /apis/<group>/<version>/<rest>
	start := 0
	switch {
	case len(segs) > 2 && segs[1] == "api":
		start = 3
	case len(segs) > 3 && segs[1] == "apis":
		start = 4
	default:
		return p
	}
	r := segs[start:]
	switch {
	case len(r) >= 2 && r[0] == "namespaces" && r[1] == m.ns:
		r[1] = m.ns + "-" + id
	case len(r) >= 2 && r[0] != "namespaces" && r[0] != "customresourcedefinitions" && start == 4 && clusterScoped(segs[2], r[0]):
		r[1] = r[1] + "-" + id
	case len(r) >= 2 && r[0] != "namespaces" && start == 3 && clusterScoped("", r[0]):
		r[1] = r[1] + "-" + id
	}
	return strings.Join(segs, "/")
}

// clusterScoped says whether a resource of the render is cluster-scoped
// (and not a CRD or Namespace, which are handled apart).
func clusterScoped(group, resource string) bool {
	switch group + "/" + resource {
	case "rbac.authorization.k8s.io/clusterroles", "rbac.authorization.k8s.io/clusterrolebindings",
		"admissionregistration.k8s.io/validatingadmissionpolicies", "admissionregistration.k8s.io/validatingadmissionpolicybindings",
		"admissionregistration.k8s.io/mutatingadmissionpolicies", "admissionregistration.k8s.io/mutatingadmissionpolicybindings",
		"admissionregistration.k8s.io/validatingwebhookconfigurations", "admissionregistration.k8s.io/mutatingwebhookconfigurations":
		return true
	}
	return false
}

// rewriteBody maps one object in a request body.
func (m *mux) rewriteBody(b []byte, id string) []byte {
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return b
	}
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	if meta != nil {
		_, namespaced := meta["namespace"]
		name, _ := meta["name"].(string)
		switch {
		case kind == "Namespace" && name == m.ns:
			meta["name"] = m.ns + "-" + id
		case !namespaced && kind != "CustomResourceDefinition" && kind != "Namespace" && kind != "DeleteOptions" && name != "":
			meta["name"] = name + "-" + id
		}
	}
	if kind == "CustomResourceDefinition" {
		out, _ := json.Marshal(obj)
		return out
	}
	walk(obj, func(k string, v any) any {
		if s, ok := v.(string); ok && k == "namespace" && s == m.ns {
			return m.ns + "-" + id
		}
		return v
	})
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}

// walk replaces every map value through f.
func walk(v any, f func(string, any) any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = f(k, e)
			walk(x[k], f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

// selfSigned returns a TLS certificate for 127.0.0.1 that is its own CA.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seedscale mux"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}
