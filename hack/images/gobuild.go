package main

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// goBuild builds pkg (relative to dir) into out as a static binary, with
// the given build tags.
func goBuild(dir, pkg, out string, tags ...string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-gcflags=all=-dwarf=false", "-ldflags=-s -w", "-tags="+strings.Join(tags, ","), "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", pkg, dir, err, b)
	}
	return nil
}

// moduleDir is this module's directory (go run sets the working directory
// to wherever it was called from; `make images` calls it from hack/images).
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if !strings.HasSuffix(mod, "/hack/images/go.mod") {
		return "", fmt.Errorf("run from hack/images (go env GOMOD is %q)", mod)
	}
	return strings.TrimSuffix(mod, "/go.mod"), nil
}

// static fails unless bin is an ELF executable without a dynamic loader, so
// it runs on an empty base.
func static(bin string) error {
	if bin == "" {
		return fmt.Errorf("binary path not given")
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0", bin)
		}
	}
	return nil
}
