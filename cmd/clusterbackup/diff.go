//go:build !webhookonly

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// errDangerous marks a diff that would lose backups and was not allowed.
var errDangerous = errors.New("refusing a change that would lose backups")

// runDiff compares a previous render (a DIR as written by `render -o DIR`,
// or any folder of YAML/JSON manifests) with a new one (another DIR, or the
// inputs rendered now) and reports, per cluster, the objects created,
// changed and removed. It fails when a change would remove a CRD, a Backup,
// a BSL that still has backups, or the namespace holding them, or move such
// a BSL away from its storage, unless --allow-removal is given.
func runDiff(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "diff")
	from := fs.String("from", "", "the previous render: a `DIR` (render -o DIR layout: one folder per cluster) or a folder/file of manifests")
	to := fs.String("to", "", "the new render: a `DIR` like --from (or give -f to render the inputs now)")
	var rf renderFlags
	rf.register(fs, "render these inputs now as the new render (`file, directory or -`; repeatable), with the same flags as render")
	var backups []string
	fs.Var(listOf(&backups), "backups", "a `file` of Backup objects that exist in the clusters (kubectl get backups -A -o yaml; repeatable)")
	allow := fs.Bool("allow-removal", false, "report dangerous removals but exit 0")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup diff --from DIR (--to DIR | -f INPUTS [render flags: --overlay, --values, --previous, --disable, ...]) [--backups FILE]... [--allow-removal]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *from == "":
		return fmt.Errorf("%w: --from is required", errUsage)
	case (*to == "") == (len(rf.files) == 0):
		return fmt.Errorf("%w: give exactly one of --to and -f", errUsage)
	case *to != "" && len(rf.set(fs)) > 0:
		return fmt.Errorf("%w: %s only apply with -f (they say how to render the inputs; --to reads a finished render)", errUsage, strings.Join(rf.set(fs), ", "))
	}
	if err := rf.check(); err != nil {
		return err
	}
	olds, err := readRenderDir(*from)
	if err != nil {
		return err
	}
	var news map[string][]*unstructured.Unstructured
	if *to != "" {
		news, err = readRenderDir(*to)
	} else {
		news, err = renderForDiff(ctx, s, &rf)
	}
	if err != nil {
		return err
	}
	var known []*unstructured.Unstructured
	for _, f := range backups {
		objs, err := readManifests(f)
		if err != nil {
			return err
		}
		known = append(known, objs...)
	}
	pairClusters(olds, news)
	dangerous := 0
	for _, id := range clusterIDs(olds, news) {
		r := renderer.Diff(olds[id], news[id], renderer.DiffOptions{Backups: known, BackupsKnown: len(backups) > 0})
		if id != "" {
			fmt.Fprintf(s.Out, "cluster %s:\n", id)
		}
		if err := r.WriteText(s.Out); err != nil {
			return err
		}
		dangerous += len(r.Dangers)
	}
	if dangerous > 0 && !*allow {
		return fmt.Errorf("%w: %d dangerous change(s) listed above; rerun with --allow-removal only if that is intended", errDangerous, dangerous)
	}
	return nil
}

// readRenderDir reads a render: a file, or a folder whose sub-folders are
// clusters (render -o DIR) and whose own files belong to cluster "".
func readRenderDir(dir string) (map[string][]*unstructured.Unstructured, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]*unstructured.Unstructured{}
	if !st.IsDir() {
		objs, err := readManifests(dir)
		out[""] = objs
		return out, err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isManifestFile(p) {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		id := ""
		if parts := strings.Split(filepath.ToSlash(rel), "/"); len(parts) > 1 {
			id = parts[0]
		}
		objs, err := readManifests(p)
		if err != nil {
			return err
		}
		out[id] = append(out[id], objs...)
		return nil
	})
	return out, err
}

func isManifestFile(p string) bool {
	switch filepath.Ext(p) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func readManifests(p string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	objs, err := renderer.DecodeObjects(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return objs, nil
}

// renderForDiff renders the -f inputs as render would with the same
// flags, keyed by cluster ID.
func renderForDiff(ctx context.Context, s streams, rf *renderFlags) (map[string][]*unstructured.Unstructured, error) {
	inputs, err := loadRenderInputs(s, rf.files)
	if err != nil {
		return nil, err
	}
	lifecycle, err := rf.lifecycle()
	if err != nil {
		return nil, err
	}
	r, err := rf.newRenderer(len(inputs))
	if err != nil {
		return nil, err
	}
	out := map[string][]*unstructured.Unstructured{}
	err = r.RenderFleetLifecycle(ctx, inputs, lifecycle, func(res renderer.Result) error {
		objs, err := res.Objects()
		out[res.ClusterID()] = objs
		return err
	})
	return out, err
}

// pairClusters lets a single-cluster render without folders (cluster "")
// be compared with a single cluster of the other side.
func pairClusters(a, b map[string][]*unstructured.Unstructured) {
	only := func(m map[string][]*unstructured.Unstructured) string {
		for k := range m {
			return k
		}
		return ""
	}
	if len(a) != 1 || len(b) != 1 {
		return
	}
	ka, kb := only(a), only(b)
	switch {
	case ka == "" && kb != "":
		a[kb] = a[""]
		delete(a, "")
	case kb == "" && ka != "":
		b[ka] = b[""]
		delete(b, "")
	}
}

func clusterIDs(a, b map[string][]*unstructured.Unstructured) []string {
	seen := map[string]bool{}
	var ids []string
	for _, m := range []map[string][]*unstructured.Unstructured{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				ids = append(ids, k)
			}
		}
	}
	sort.Strings(ids)
	return ids
}
