package main

import (
	"context"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// serveReady answers /readyz once srv accepts TLS connections.
func serveReady(ctx context.Context, addr string, srv webhook.Server) {
	check := srv.StartedChecker()
	hs := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})}
	go func() { <-ctx.Done(); _ = hs.Close() }()
	_ = hs.ListenAndServe()
}
