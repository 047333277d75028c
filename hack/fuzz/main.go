// Command fuzz runs every fuzz target in the module for a short time, one
// after another, for `make fuzz` (and so for `make test`).
//
// A target fails at once when the fuzzer writes a failing input to
// testdata/fuzz/<Target>/ (the input is printed, with the command that
// reruns it).
//
// Go's fuzzing engine also fails now and then without having found anything:
// at the -fuzztime boundary it can report "context deadline exceeded"
// (golang/go#51484), and a worker can die with "fuzzing process hung or
// terminated unexpectedly" (golang/go#56238). Neither writes a failing input.
// So a run that fails without a failing input is retried, up to -retries
// times; one that fails every time (a hang, a build error, a failing seed)
// still fails, with its whole output printed.
//
// Usage:
//
//	go run ./hack/fuzz [-fuzztime 5s] [-retries 2] [-list]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// target is one fuzz function in one package directory.
type target struct {
	dir  string // "./internal/prefix"
	name string // "FuzzValidate"
}

func (t target) String() string { return t.dir + ":" + t.name }

// engineFlakes are the messages of the engine failures that find nothing.
var engineFlakes = []string{
	"context deadline exceeded",
	"fuzzing process hung or terminated unexpectedly",
}

func main() {
	fuzztime := flag.String("fuzztime", "5s", "how long to fuzz each target (go test -fuzztime)")
	retries := flag.Int("retries", 2, "how often to rerun a target whose run failed inside the fuzzing engine without a failing input")
	list := flag.Bool("list", false, "only print the targets, one per line")
	flag.Parse()

	targets, err := findTargets(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz:", err)
		os.Exit(1)
	}
	if *list {
		for _, t := range targets {
			fmt.Println(t)
		}
		return
	}
	failed := 0
	for _, t := range targets {
		if err := run(t, *fuzztime, *retries); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", t, err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "fuzz: %d of %d targets failed\n", failed, len(targets))
		os.Exit(1)
	}
}

// run fuzzes one target, retrying engine flakes.
func run(t target, fuzztime string, retries int) error {
	for attempt := 0; ; attempt++ {
		before, err := corpus(t)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", "test", "-run", "^$", "-fuzz", "^"+t.name+"$", "-fuzztime", fuzztime, t.dir)
		out, runErr := cmd.CombinedOutput()
		if runErr == nil {
			fmt.Printf("ok   %s (%s)\n", t, lastLine(out, "fuzz: elapsed"))
			return nil
		}
		after, err := corpus(t)
		if err != nil {
			return err
		}
		if written := newFiles(before, after); len(written) > 0 {
			os.Stderr.Write(out)
			for _, f := range written {
				b, _ := os.ReadFile(f)
				fmt.Fprintf(os.Stderr, "failing input %s:\n%s\n", f, b)
			}
			return fmt.Errorf("the fuzzer found a failing input; rerun it with: go test -run '%s/%s' %s", t.name, filepath.Base(written[0]), t.dir)
		}
		// No failing input: an engine flake, or a failure that repeats
		// (a build error, a seed that fails). Retrying tells them apart.
		why := engineFlake(out)
		if why == "" {
			why = "go test failed (" + runErr.Error() + "): " + failReason(out)
		}
		if attempt == retries {
			os.Stderr.Write(out)
			return fmt.Errorf("failed %d times in a row without a failing input, last with %q; a failure that repeats is not a flake", attempt+1, why)
		}
		fmt.Printf("again %s: %q without a failing input; retrying\n", t, why)
	}
}

// engineFlake returns the engine-flake message out contains, or "".
func engineFlake(out []byte) string {
	for _, m := range engineFlakes {
		if bytes.Contains(out, []byte(m)) {
			return m
		}
	}
	return ""
}

// corpus lists the files under the target's testdata/fuzz/<Target> folder.
func corpus(t target) (map[string]bool, error) {
	entries, err := os.ReadDir(filepath.Join(t.dir, "testdata", "fuzz", t.name))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the seed corpus: %w", err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[filepath.Join(t.dir, "testdata", "fuzz", t.name, e.Name())] = true
	}
	return files, nil
}

// newFiles returns the files in after that are not in before, sorted.
func newFiles(before, after map[string]bool) []string {
	var out []string
	for f := range after {
		if !before[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// failReason returns the first message line under the "--- FAIL:" lines
// of go test's output, or its last line.
func failReason(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	failed := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "--- FAIL:"):
			failed = true
		case failed:
			return l
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// lastLine returns the last line of out that starts with prefix, trimmed.
func lastLine(out []byte, prefix string) string {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			last = strings.TrimPrefix(sc.Text(), "fuzz: ")
		}
	}
	return last
}

var fuzzFunc = regexp.MustCompile(`^func (Fuzz\w+)\(\w+ \*testing\.F\)`)

// findTargets walks root for Fuzz functions in _test.go files.
func findTargets(root string) ([]target, error) {
	var out []target
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == "hack/tools") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				out = append(out, target{dir: "./" + filepath.Dir(path), name: m[1]})
			}
		}
		return sc.Err()
	})
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, err
}
