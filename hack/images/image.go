package main

import (
	"fmt"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// nonRoot is the user every image runs as unless the pod says otherwise.
const nonRoot = 65532

// spec describes one image: an empty base plus one layer of static binaries.
type spec struct {
	// Ref is the full reference, exactly as the chart renders it.
	Ref string
	// Title and Description become OCI labels.
	Title, Description string
	// Version is the org.opencontainers.image.version label.
	Version string
	// Entries are the layer's files and directories.
	Entries []entry
	// Entrypoint and Cmd are the config's; Env is added to PATH.
	Entrypoint, Cmd, Env []string
	// User is "uid:gid"; default nonRoot.
	User string
}

// build assembles the image and writes it as a docker-archive tarball (what
// `ctr images import` and `docker load` read) tagged with spec.Ref.
func build(s spec, out string) (v1.Hash, error) {
	tag, err := name.NewTag(s.Ref, name.StrictValidation)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image %s: %w", s.Ref, err)
	}
	layer, err := buildLayer(s.Entries)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image %s: %w", s.Ref, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return v1.Hash{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	user := s.User
	if user == "" {
		user = fmt.Sprintf("%d:%d", nonRoot, nonRoot)
	}
	cf.Config = v1.Config{
		User:       user,
		Entrypoint: s.Entrypoint,
		Cmd:        s.Cmd,
		Env:        append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, s.Env...),
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":       s.Title,
			"org.opencontainers.image.description": s.Description,
			"org.opencontainers.image.version":     s.Version,
			"org.opencontainers.image.source":      "https://github.com/clusterbackup/clusterbackup",
			"org.opencontainers.image.vendor":      "clusterbackup",
			"org.opencontainers.image.licenses":    "Apache-2.0",
			"org.opencontainers.image.base.name":   "scratch",
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return v1.Hash{}, fmt.Errorf("write %s: %w", out, err)
	}
	return img.Digest()
}
