package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is every file's modification time, so the same binaries give the same
// layer digest.
var epoch = time.Unix(0, 0).UTC()

// entry is one file or directory of a layer.
type entry struct {
	// Path is the absolute path inside the image.
	Path string
	// Source is the host file copied in; empty makes a directory.
	Source string
	// Mode is the permission bits (and sticky bit for directories).
	Mode int64
	// UID and GID own the entry.
	UID, GID int
}

// dir is a directory entry.
func dir(p string, mode int64, uid int) entry { return entry{Path: p, Mode: mode, UID: uid, GID: uid} }

// file is an executable owned by root, copied from src.
func file(p, src string) entry { return entry{Path: p, Source: src, Mode: 0o755} }

// buildLayer writes entries (parents first, in path order) into one
// uncompressed tar and returns it as a layer. Parent directories not listed
// are added as root-owned 0755.
func buildLayer(entries []entry) (v1.Layer, error) {
	all := map[string]entry{}
	for _, e := range entries {
		all[strings.TrimPrefix(e.Path, "/")] = e
		for d := path.Dir(strings.TrimPrefix(e.Path, "/")); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = dir("/"+d, 0o755, 0)
			}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := all[n]
		h := &tar.Header{Name: n, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: epoch, Format: tar.FormatPAX}
		if e.Source == "" {
			h.Typeflag, h.Name = tar.TypeDir, n+"/"
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		if err := writeFile(tw, h, e.Source); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressionLevel(1))
}

func writeFile(tw *tar.Writer, h *tar.Header, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("layer file %s: %w", h.Name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("layer file %s: %s is not a regular file", h.Name, src)
	}
	h.Typeflag, h.Size = tar.TypeReg, st.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("layer file %s: %w", h.Name, err)
	}
	return nil
}
