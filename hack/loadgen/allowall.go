package main

import (
	"context"
	"flag"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// runAllowAll serves the floor: a controller-runtime webhook server whose
// handlers allow everything, so a call costs one TLS hop plus decoding and
// encoding the AdmissionReview and nothing else.
func runAllowAll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("allowall", flag.ContinueOnError)
	port := fs.Int("port", 9443, "port on 127.0.0.1")
	certDir := fs.String("cert-dir", "", "directory with tls.crt and tls.key")
	health := fs.String("health-addr", "", "address for /readyz")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: *port, CertDir: *certDir})
	allow := &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	})}
	srv.Register("/mutate", allow)
	srv.Register("/validate", allow)
	go serveReady(ctx, *health, srv)
	return srv.Start(ctx)
}
