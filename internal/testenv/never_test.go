package testenv

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTB records a Fatalf instead of ending the test, so Never's failure
// can be asserted.
type fakeTB struct {
	TB
	failed string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

func TestUnitNever(t *testing.T) {
	t.Run("quiet for the bound", func(t *testing.T) {
		var asked atomic.Int32
		f := &fakeTB{}
		start := time.Now()
		Never(f, 60*time.Millisecond, 10*time.Millisecond, "x", func() (bool, error) { asked.Add(1); return false, nil })
		if f.failed != "" {
			t.Fatalf("failed: %s", f.failed)
		}
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Fatalf("returned after %s, before the bound", d)
		}
		if asked.Load() < 2 {
			t.Fatalf("asked %d times, want the start and the end at least", asked.Load())
		}
	})
	t.Run("event fails at once", func(t *testing.T) {
		f := &fakeTB{}
		start := time.Now()
		n := 0
		Never(f, time.Minute, 5*time.Millisecond, "backup seen", func() (bool, error) { n++; return n == 3, nil })
		if !strings.Contains(f.failed, "backup seen happened after") {
			t.Fatalf("failure = %q", f.failed)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %s: the event should end the wait", d)
		}
	})
	t.Run("error is evidence", func(t *testing.T) {
		f := &fakeTB{}
		Never(f, time.Minute, 5*time.Millisecond, "list", func() (bool, error) { return false, errors.New("boom") })
		if !strings.Contains(f.failed, "boom") {
			t.Fatalf("failure = %q", f.failed)
		}
	})
}
