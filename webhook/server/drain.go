package server

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// drainingServer stops the webhook server without cutting a connection the
// API server is about to reuse.
//
// The API server keeps HTTP/1.1 connections to a replica open and sends the
// next review on whichever is idle. Closing an idle connection on shutdown
// races with that send: the review fails with "broken pipe" and, as a POST,
// is not retried. So when ctx is cancelled the server first serves on for
// the drain period and answers every review with "Connection: close": the
// API server drops each connection after its answer and dials again, through
// the Service, a replica that is not stopping. Only then does the inner
// server shut down (and wait for in-flight reviews).
type drainingServer struct {
	webhook.Server
	period   time.Duration
	draining atomic.Bool
}

// errDraining is the readiness failure while the server drains.
var errDraining = errors.New("webhook server is draining before shutdown")

// Register serves hook at path, closing the connection after each answer
// once the server drains.
func (s *drainingServer) Register(path string, hook http.Handler) {
	s.Server.Register(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		hook.ServeHTTP(w, r)
	}))
}

// Start runs the inner server until the drain period after ctx is cancelled.
func (s *drainingServer) Start(ctx context.Context) error {
	inner, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go func() {
		select {
		case <-inner.Done(): // the inner server returned on its own
			return
		case <-ctx.Done():
		}
		s.draining.Store(true)
		t := time.NewTimer(s.period)
		defer t.Stop()
		select {
		case <-t.C:
		case <-inner.Done():
		}
		stop()
	}()
	return s.Server.Start(inner)
}

// Ready fails while the server drains, so that the Pod leaves the Service's
// endpoints even without a preStop hook.
func (s *drainingServer) Ready(*http.Request) error {
	if s.draining.Load() {
		return errDraining
	}
	return nil
}
