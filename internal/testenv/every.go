package testenv

import (
	"context"
	"time"
)

// Every runs f now and then every interval in the background until the
// test ends; the cleanup cancels f's context and waits for the last call to
// return. Stand-ins that play a controller a test does not run (Velero,
// the namespace controller) are loops of this shape.
func Every(t TB, interval time.Duration, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			f(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}
