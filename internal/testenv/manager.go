package testenv

import (
	"context"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Manager is the part of a controller-runtime manager StartManager uses
// (webhook/server's, the controllers' or a plain manager.New).
type Manager interface {
	Start(ctx context.Context) error
	GetCache() cache.Cache
}

// StartManager starts mgr, built with ctx, in the background, waits until
// its cache has synced and stops it when the test ends. The returned stop
// cancels ctx (with cancel) and returns what Start returned; a test may
// call it earlier, and more than once.
func StartManager(ctx context.Context, t TB, cancel context.CancelFunc, mgr Manager) (stop func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop = sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { _ = stop() })
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("testenv: the manager's cache did not sync")
	}
	return stop
}
