package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindTargets(t *testing.T) {
	t.Chdir("../..")
	targets, err := findTargets(".")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, tg := range targets {
		found[tg.String()] = true
	}
	for _, want := range []string{"./internal/prefix:FuzzValidate", "./internal/prefix:FuzzJoin"} {
		if !found[want] {
			t.Errorf("findTargets did not list %s; got %v", want, targets)
		}
	}
}

func TestEngineFlake(t *testing.T) {
	for out, want := range map[string]string{
		"--- FAIL: FuzzValidate (5.01s)\n    context deadline exceeded\nFAIL\n":                        "context deadline exceeded",
		"--- FAIL: FuzzX (3.2s)\n    fuzzing process hung or terminated unexpectedly: exit status 2\n": "fuzzing process hung or terminated unexpectedly",
		"--- FAIL: FuzzX (0.1s)\n    fuzz_test.go:12: valid prefix \"a\" changes\n":                    "",
	} {
		if got := engineFlake([]byte(out)); got != want {
			t.Errorf("engineFlake(%q) = %q, want %q", out, got, want)
		}
	}
}

func TestNewFiles(t *testing.T) {
	dir := t.TempDir()
	tg := target{dir: dir, name: "FuzzX"}
	before, err := corpus(tg)
	if err != nil || before != nil {
		t.Fatalf("corpus of a missing folder = %v, %v; want nil, nil", before, err)
	}
	f := filepath.Join(dir, "testdata", "fuzz", "FuzzX", "abc")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte("go test fuzz v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := corpus(tg)
	if err != nil {
		t.Fatal(err)
	}
	if got := newFiles(before, after); len(got) != 1 || got[0] != f {
		t.Errorf("newFiles = %v, want [%s]", got, f)
	}
	if got := newFiles(after, after); len(got) != 0 {
		t.Errorf("newFiles(same, same) = %v, want none", got)
	}
}

func TestFailReason(t *testing.T) {
	for out, want := range map[string]string{
		"fuzz: elapsed: 5s\n--- FAIL: FuzzX (5.01s)\n    context deadline exceeded\nFAIL\nexit status 1\n": "context deadline exceeded",
		"# pkg\n./x_test.go:3:1: syntax error\nFAIL\tpkg [build failed]\n":                                 "FAIL\tpkg [build failed]",
	} {
		if got := failReason([]byte(out)); got != want {
			t.Errorf("failReason(%q) = %q, want %q", out, got, want)
		}
	}
}
