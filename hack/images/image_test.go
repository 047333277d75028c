package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestBuildWritesTaggedNonRootImage builds a small image and reads the
// tarball back as `ctr images import` would: the tag, the user, the labels,
// the entrypoint and the layer's files.
func TestBuildWritesTaggedNonRootImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pause")
	if err := goBuild(".", "./cmd/pause", bin); err != nil {
		t.Fatal(err)
	}
	s, err := pauseImage("registry.airgap.internal/clusterbackup/pause:3.10", "3.10", bin)
	if err != nil {
		t.Fatal(err)
	}
	s.User = ""
	out := filepath.Join(dir, "pause.tar")
	if _, err := build(s, out); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(s.Ref)
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || cf.Config.Entrypoint[0] != "/pause" || cf.Config.Labels["org.opencontainers.image.version"] != "3.10" || cf.OS != "linux" {
		t.Fatalf("config: user %q entrypoint %q labels %v os %s", cf.Config.User, cf.Config.Entrypoint, cf.Config.Labels, cf.OS)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("tarball: %v", err)
	}
}

func TestStaticRejectsDynamicBinaries(t *testing.T) {
	if err := static("/bin/sh"); err == nil {
		t.Fatal("static(/bin/sh): no error for a dynamically linked binary")
	}
}
