package main

import (
	"context"
	"crypto/tls"
	"flag"
	"net/http"
	_ "net/http/pprof" // -pprof-addr

	"github.com/go-logr/logr"
	"gomodules.xyz/jsonpatch/v2"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// runAllowAll serves the floor: a controller-runtime webhook server whose
// handlers allow everything, so a call costs one TLS hop plus decoding and
// encoding the AdmissionReview and nothing else; /mutate-patch also returns
// a fixed patch. HTTP/1.1 only, like clusterbackup webhook, unless -http2.
func runAllowAll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("allowall", flag.ContinueOnError)
	port := fs.Int("port", 9443, "port on 127.0.0.1")
	certDir := fs.String("cert-dir", "", "directory with tls.crt and tls.key")
	health := fs.String("health-addr", "", "address for /readyz")
	http2 := fs.Bool("http2", false, "serve HTTP/2 too, controller-runtime's default (off: HTTP/1.1 only, like clusterbackup webhook)")
	pprofAddr := fs.String("pprof-addr", "", "address for Go's pprof profiles (default off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }() //nolint:gosec // a local measuring tool
	}
	// Without a logger controller-runtime keeps every per-review logger.
	logf.SetLogger(logr.Discard())
	o := webhook.Options{Host: "127.0.0.1", Port: *port, CertDir: *certDir}
	if !*http2 {
		o.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	srv := webhook.NewServer(o)
	allow := &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	})}
	srv.Register("/mutate", allow)
	// The same three defaults ours adds, as a fixed patch: separates the
	// API server's cost of applying a patch from ours of computing it.
	srv.Register("/mutate-patch", &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Patched("",
			jsonpatch.NewOperation("add", "/spec/ttl", "720h0m0s"),
			jsonpatch.NewOperation("add", "/spec/storageLocation", "default"),
			jsonpatch.NewOperation("add", "/spec/defaultVolumesToFsBackup", true))
	})})
	srv.Register("/validate", allow)
	go serveReady(ctx, *health, srv)
	return srv.Start(ctx)
}
