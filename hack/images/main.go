// Command images builds clusterbackup's container images without a Docker
// daemon: each is an empty base plus one layer of static binaries, a
// non-root user and OCI labels, written as a docker-archive tarball that
// `ctr -n k8s.io images import` (or `docker load`) reads.
//
// Images (references exactly as the chart renders them with --registry R):
//
//	R/clusterbackup/clusterbackup:<tag>         /clusterbackup (webhook, seed loops)
//	R/velero/velero:<velero tag>                /velero, /velero-restore-helper (tests)
//	R/velero/velero-plugin-for-aws:<plugin tag> /plugins/velero-plugin-for-aws, copied to /target (tests)
//	R/clusterbackup/pause:<tag>                 /pause, the pod sandbox (tests)
//
// The Velero binaries come from hack/tools.sh's cache; clusterbackup, pause
// and cp-plugin are built here with CGO_ENABLED=0. Usage (see `make images`):
//
//	go run . -registry R -out DIR -velero PATH -velero-restore-helper PATH -velero-plugin-for-aws PATH
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Built is one written image, as listed in DIR/images.json.
type Built struct {
	// Name is the short name (clusterbackup, velero, velero-plugin-for-aws, pause).
	Name string `json:"name"`
	// Ref is the image reference.
	Ref string `json:"ref"`
	// File is the tarball's file name inside DIR.
	File string `json:"file"`
	// Digest is the image manifest digest.
	Digest string `json:"digest"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run() error {
	registry := flag.String("registry", "", "registry every reference starts with (required), e.g. registry.airgap.internal")
	out := flag.String("out", "", "directory for the tarballs and images.json (required)")
	velero := flag.String("velero", "", "velero binary (hack/tools.sh path velero)")
	helper := flag.String("velero-restore-helper", "", "velero-restore-helper binary (hack/tools.sh path velero-restore-helper)")
	plugin := flag.String("velero-plugin-for-aws", "", "velero-plugin-for-aws binary (hack/tools.sh path velero-plugin-for-aws)")
	cb := flag.String("clusterbackup", "", "clusterbackup webhook binary; default: built from this repository with -tags webhookonly")
	cbFull := flag.String("clusterbackup-controllers", "", "clusterbackup binary with every command, run by the seed's controllers Deployment; default: built from this repository")
	veleroTag := flag.String("velero-tag", "v1.18.3", "Velero image tag (the chart's image.velero.tag)")
	pluginTag := flag.String("plugin-tag", "v1.14.3", "AWS plugin image tag (the chart's image.pluginForAWS.tag)")
	cbTag := flag.String("clusterbackup-tag", "v0.1.0", "clusterbackup image tag (the chart's webhook image tag: v<chart version>)")
	pauseTag := flag.String("pause-tag", "3.10", "pause image tag")
	only := flag.String("only", "", "comma-separated subset of image names to build; default all")
	flag.Parse()
	if *registry == "" || *out == "" {
		return fmt.Errorf("-registry and -out are required")
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, err := moduleDir()
	if err != nil {
		return err
	}
	r := strings.TrimSuffix(*registry, "/")
	var specs []spec
	var names []string
	add := func(n string, s func() (spec, error)) error {
		if len(want) > 0 && !want[n] {
			return nil
		}
		sp, err := s()
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		specs, names = append(specs, sp), append(names, n)
		return nil
	}
	if err := add("clusterbackup", func() (spec, error) {
		bin, full := *cb, *cbFull
		if bin == "" {
			bin = filepath.Join(tmp, "clusterbackup")
			// webhookonly: the webhook (user and seed mode) and version
			// commands, as `make build-webhook`.
			if err := goBuild(filepath.Join(src, "..", ".."), "./cmd/clusterbackup", bin, "webhookonly"); err != nil {
				return spec{}, err
			}
		}
		if full == "" {
			full = filepath.Join(tmp, "clusterbackup-controllers")
			// Every command: the seed's loops render releases.
			if err := goBuild(filepath.Join(src, "..", ".."), "./cmd/clusterbackup", full); err != nil {
				return spec{}, err
			}
		}
		return clusterbackupImage(r+"/clusterbackup/clusterbackup:"+*cbTag, *cbTag, bin, full)
	}); err != nil {
		return err
	}
	if err := add("velero", func() (spec, error) { return veleroImage(r+"/velero/velero:"+*veleroTag, *veleroTag, *velero, *helper) }); err != nil {
		return err
	}
	if err := add("velero-plugin-for-aws", func() (spec, error) {
		cp := filepath.Join(tmp, "cp-plugin")
		if err := goBuild(src, "./cmd/cp-plugin", cp); err != nil {
			return spec{}, err
		}
		return pluginImage(r+"/velero/velero-plugin-for-aws:"+*pluginTag, *pluginTag, *plugin, cp)
	}); err != nil {
		return err
	}
	if err := add("pause", func() (spec, error) {
		p := filepath.Join(tmp, "pause")
		if err := goBuild(src, "./cmd/pause", p); err != nil {
			return spec{}, err
		}
		return pauseImage(r+"/clusterbackup/pause:"+*pauseTag, *pauseTag, p)
	}); err != nil {
		return err
	}
	var built []Built
	for i, s := range specs {
		file := names[i] + ".tar"
		d, err := build(s, filepath.Join(*out, file))
		if err != nil {
			return err
		}
		built = append(built, Built{Name: names[i], Ref: s.Ref, File: file, Digest: d.String()})
		fmt.Fprintf(os.Stderr, "images: %s %s -> %s\n", s.Ref, d, filepath.Join(*out, file))
	}
	b, err := json.MarshalIndent(built, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "images.json"), append(b, '\n'), 0o644)
}
