package main

import (
	"os"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain gives controller-runtime one forwarding logger for the whole
// test process before anything logs, and makes each run of a command that
// sets its logger (webhook, controllers) point it at that run's stderr:
// controller-runtime takes only the first logger of a process, and a null
// one when none came within 30 s, which lost the logs of a test that
// started late on a loaded machine.
func TestMain(m *testing.M) {
	logf.SetLogger(logr.New(forwardSink{}))
	installLogger = func(l logr.Logger) {
		current.Lock()
		current.sink = l.GetSink()
		current.Unlock()
	}
	os.Exit(m.Run())
}

// current is the sink of the latest installLogger call.
var current struct {
	sync.RWMutex
	sink logr.LogSink
}

// forwardSink sends every record to the current sink, applying its names
// and values there, so loggers derived before a later installLogger follow
// it too.
type forwardSink struct {
	names  []string
	values []any
}

func (f forwardSink) target() logr.LogSink {
	current.RLock()
	s := current.sink
	current.RUnlock()
	if s == nil {
		return logr.Discard().GetSink()
	}
	for _, n := range f.names {
		s = s.WithName(n)
	}
	if len(f.values) > 0 {
		s = s.WithValues(f.values...)
	}
	return s
}

func (forwardSink) Init(logr.RuntimeInfo) {}

func (f forwardSink) Enabled(level int) bool {
	s := f.target()
	return s != nil && s.Enabled(level)
}

func (f forwardSink) Info(level int, msg string, kv ...any) {
	if s := f.target(); s != nil {
		s.Info(level, msg, kv...)
	}
}

func (f forwardSink) Error(err error, msg string, kv ...any) {
	if s := f.target(); s != nil {
		s.Error(err, msg, kv...)
	}
}

func (f forwardSink) WithValues(kv ...any) logr.LogSink {
	return forwardSink{names: f.names, values: append(append([]any(nil), f.values...), kv...)}
}

func (f forwardSink) WithName(name string) logr.LogSink {
	return forwardSink{names: append(append([]string(nil), f.names...), name), values: f.values}
}
