package admissionpolicy

import (
	"strings"
	"testing"
)

// wantDenied fails unless err is a denial by the named policy whose message
// contains every one of wants.
func wantDenied(t *testing.T, err error, policy string, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("allowed; want a denial by %s containing %q", policy, wants)
	}
	msg := err.Error()
	if !strings.Contains(msg, "'"+policy+"'") {
		t.Fatalf("denied by someone else: %v; want a denial by %s", err, policy)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Fatalf("denial %q does not contain %q", msg, w)
		}
	}
	t.Logf("denied: %s", msg)
}

// wantAllowed fails on any error.
func wantAllowed(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("denied: %v; want allowed", err)
	}
}
