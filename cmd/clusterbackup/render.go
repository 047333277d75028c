//go:build !webhookonly

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/input"

	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// With -o DIR, each cluster's folder holds crdsFile (the Velero CRDs, the
// same for every cluster: hard links to one file) and renderFile (the rest).
const (
	crdsFile   = "crds"
	renderFile = "velero-managed"
)

// renderOutputFiles are the only files an existing output directory may hold.
var renderOutputFiles = map[string]bool{
	crdsFile + ".yaml": true, crdsFile + ".json": true, renderFile + ".yaml": true, renderFile + ".json": true,
}

// runRender renders the managed Velero release of every Cluster in the
// inputs (default: the bundled example fleet) to stdout or one folder per
// cluster.
func runRender(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "render")
	var rf renderFlags
	rf.register(fs, "a `file, directory or -` (stdin) with Clusters, ClusterBackupStorageLocations and Secrets (repeatable; default: the bundled examples/fleet)")
	out := fs.String("o", "-", "`-` to stream to stdout, or a DIR to write DIR/<cluster-id>/{"+crdsFile+","+renderFile+"}.<format> (replaced atomically)")
	format := fs.String("format", "yaml", "output `format`: yaml (multi-document) or json (one v1 List per cluster)")
	dedicated := fs.Bool("require-dedicated-credentials", false, "fail when clusters share an access key (checked when the credential Secrets are among the inputs); default: warn on stderr")
	summarize := fs.Bool("summary", false, "after the manifests, print a summary on stderr: clusters, objects per cluster, each cluster's prefix, warnings (`make run` sets it)")
	seedSide := fs.Bool("seed", false, "render the seed side instead (charts/clusterbackup-seed: seed webhook, CBSL status and credentials loops, RBAC, NetworkPolicy) with the --values files; no inputs")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup render [-f FILE|DIR|-]... [--overlay NAME] [-o -|DIR] [--format yaml|json] [--kube-version V] [--values FILE]... [--previous CBSLS]... [--disable [--purge]]\n"+
			"       clusterbackup render --seed [--values FILE]... [--kube-version V] [-o -|DIR]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "yaml" && *format != "json" {
		return fmt.Errorf("%w: --format must be yaml or json, not %q", errUsage, *format)
	}
	if err := rf.check(); err != nil {
		return err
	}
	if *seedSide {
		return renderSeed(s, fs, &rf, *out, *format)
	}
	inputs, err := loadRenderInputs(s, rf.files)
	if err != nil {
		return err
	}
	var sum *renderSummary
	if *summarize {
		sum = &renderSummary{}
	}
	if shared := renderer.SharedCredentials(inputs); len(shared) > 0 {
		if *dedicated {
			return fmt.Errorf("--require-dedicated-credentials: %s", shared[0])
		}
		for _, c := range shared {
			fmt.Fprintf(s.Err, "warning: %s\n", c)
			sum.warn(c.String())
		}
	}
	lifecycle, err := rf.lifecycle()
	if err != nil {
		return err
	}

	r, err := rf.newRenderer(len(inputs))
	if err != nil {
		return err
	}
	prog := newProgress(s.Err, len(inputs))
	prog.sum, prog.lifecycle = sum, lifecycle
	if *out == "-" {
		err = renderStream(ctx, r, inputs, lifecycle, *format, s.Out, prog)
	} else {
		err = renderDir(ctx, r, inputs, lifecycle, *format, *out, prog)
	}
	prog.done()
	if err == nil {
		sum.print(s.Err)
	}
	return err
}

// loadValueFiles reads and merges --values files (later files win; maps
// merge deeply).
func loadValueFiles(files []string) (map[string]any, error) {
	var merged map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		merged = mergeValues(merged, v)
	}
	return merged, nil
}

// mergeValues merges src over dst: maps deeply, anything else replaced.
func mergeValues(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, sv := range src {
		sm, sok := sv.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if sok && dok {
			dst[k] = mergeValues(dm, sm)
			continue
		}
		dst[k] = sv
	}
	return dst
}

// loadRenderInputs reads the -f inputs, or the bundled example fleet.
func loadRenderInputs(s streams, files []string) ([]renderer.Input, error) {
	var (
		objs *input.Objects
		err  error
	)
	if len(files) == 0 {
		objs, err = input.LoadFS(examples.Fleet, "fleet")
	} else {
		objs, err = input.Load(s.In, files...)
	}
	if err != nil {
		return nil, err
	}
	return renderer.BuildFleet(objs)
}

func writeResult(w io.Writer, res renderer.Result, format string) error {
	if format == "json" {
		return res.WriteJSON(w)
	}
	return res.WriteYAML(w)
}

// renderStream writes every cluster's release to w, in input order.
func renderStream(ctx context.Context, r *renderer.Renderer, inputs []renderer.Input, lifecycle func(renderer.Input) renderer.Lifecycle, format string, w io.Writer, prog *progress) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	err := r.RenderFleetLifecycle(ctx, inputs, lifecycle, func(res renderer.Result) error {
		if format == "yaml" {
			fmt.Fprintf(bw, "# cluster %s (project %s)\n", res.ClusterID(), res.Input.ProjectID())
		}
		prog.add(res)
		return writeResult(bw, res, format)
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// renderDir writes DIR/<cluster-id>/{crds,velero-managed}.<format> into a temporary
// directory beside DIR and renames it into place only when every cluster
// rendered: a failure leaves DIR as it was. An existing DIR is replaced only
// when it holds nothing but such cluster folders.
func renderDir(ctx context.Context, r *renderer.Renderer, inputs []renderer.Input, lifecycle func(renderer.Input) renderer.Lifecycle, format, dir string, prog *progress) error {
	dir = filepath.Clean(dir)
	if err := checkReplaceable(dir, format); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sharedCRDs := "" // the first cluster's CRD file; the others with CRDs are hard links to it (a purged cluster has none)
	err = r.RenderFleetLifecycle(ctx, inputs, lifecycle, func(res renderer.Result) error {
		defer prog.add(res)
		d := filepath.Join(tmp, res.ClusterID())
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		crds, rest := splitCRDs(res)
		crdFile := filepath.Join(d, crdsFile+"."+format)
		if len(crds.Manifests) == 0 || sharedCRDs == "" || os.Link(sharedCRDs, crdFile) != nil {
			if err := writeFile(crdFile, crds, format); err != nil {
				return err
			}
			if len(crds.Manifests) > 0 {
				sharedCRDs = crdFile
			}
		}
		return writeFile(filepath.Join(d, renderFile+"."+format), rest, format)
	})
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// splitCRDs separates the CRDs (identical for every cluster) from the rest.
func splitCRDs(res renderer.Result) (crds, rest renderer.Result) {
	crds.Input, rest.Input = res.Input, res.Input
	for _, m := range res.Manifests {
		if m.Kind == "CustomResourceDefinition" {
			crds.Manifests = append(crds.Manifests, m)
		} else {
			rest.Manifests = append(rest.Manifests, m)
		}
	}
	return crds, rest
}

// writeFile writes one result to a new file.
func writeFile(name string, res renderer.Result, format string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = writeResult(bw, res, format)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkReplaceable refuses to replace a directory that holds anything but
// earlier render output.
func checkReplaceable(dir, format string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			return fmt.Errorf("output directory %s holds %s, which is not render output; refusing to replace it", dir, e.Name())
		}
		sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		for _, f := range sub {
			if f.IsDir() || !renderOutputFiles[f.Name()] {
				return fmt.Errorf("output directory %s holds %s, which is not render output; refusing to replace it", dir, filepath.Join(e.Name(), f.Name()))
			}
		}
	}
	return nil
}

// progress reports rendered clusters on stderr, only when it is a terminal
// and the fleet has more than one cluster.
type progress struct {
	w     io.Writer
	total int
	n     atomic.Int64
	stop  chan struct{}
	ended chan struct{}
	// sum, when set, collects each rendered cluster for `render --summary`,
	// with the life cycle lifecycle gives it.
	sum       *renderSummary
	lifecycle func(renderer.Input) renderer.Lifecycle
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	f, ok := w.(*os.File)
	if !ok || total < 2 || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	p.stop, p.ended = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.ended)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(p.w, "\rrendered %d/%d clusters", p.n.Load(), p.total)
			case <-p.stop:
				fmt.Fprintf(p.w, "\rrendered %d/%d clusters\n", p.n.Load(), p.total)
				return
			}
		}
	}()
	return p
}

// add counts a rendered cluster, prints its warnings and records it for
// the summary (if any).
func (p *progress) add(res renderer.Result) {
	p.n.Add(1)
	for _, w := range res.Warnings {
		fmt.Fprintf(p.w, "warning: %s\n", w)
		p.sum.warn(w)
	}
	if p.sum != nil {
		var lc renderer.Lifecycle
		if p.lifecycle != nil {
			lc = p.lifecycle(res.Input)
		}
		p.sum.add(res, lc)
	}
}

func (p *progress) done() {
	if p.stop != nil {
		close(p.stop)
		<-p.ended
	}
}
