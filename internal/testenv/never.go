package testenv

import "time"

// Never proves that an event does not happen within bound: it asks
// happened every poll until bound has passed and fails the test at once,
// with what and the time it took, the first time happened reports the
// event. An error from happened is the event's evidence too (it is in the
// failure). A bound, not a fixed sleep, is the proof: the test sees the
// event as soon as it occurs instead of after the wait, and a wait that
// asks nothing cannot pass for one that checked.
func Never(t TB, bound, poll time.Duration, what string, happened func() (bool, error)) {
	t.Helper()
	start := time.Now()
	for checks := 0; ; checks++ {
		ok, err := happened()
		if ok || err != nil {
			t.Fatalf("%s happened after %s (want never within %s): %v", what, time.Since(start).Round(time.Millisecond), bound, err)
			return
		}
		if time.Since(start) >= bound && checks > 0 {
			return
		}
		time.Sleep(min(poll, max(bound-time.Since(start), 0)))
	}
}
