package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	s := streams{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), s, args)
	return out.String(), errb.String(), code
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, code := runCLI(t, "", nil, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("code=%d stderr=%q", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCLI(t, "", nil, "version")
	if code != 0 || !strings.Contains(out, "velero v1.18.3") || !strings.Contains(out, "velero-plugin-for-aws v1.14.3") {
		t.Fatalf("code=%d out=%q", code, out)
	}
}

func TestBadFlagIsUsageError(t *testing.T) {
	_, stderr, code := runCLI(t, "", nil, "version", "--nope")
	if code != 2 || !strings.Contains(stderr, "-nope") {
		t.Fatalf("code=%d stderr=%q", code, stderr)
	}
}
