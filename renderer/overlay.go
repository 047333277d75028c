package renderer

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/clusterbackup/clusterbackup/overlays"
)

// overlayBase is the overlay folder that holds the chart's output; it is not
// an overlay itself.
const overlayBase = "base"

// Overlays lists the overlay names Options.Overlay accepts (the folders of
// overlays/ except base), sorted.
func Overlays() []string {
	entries, err := fs.ReadDir(overlays.FS, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != overlayBase {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// overlay is a kustomize overlay from overlays/, applied in memory.
type overlay struct {
	name  string
	files map[string][]byte // every embedded overlay file, by path
}

func loadOverlay(name string) (*overlay, error) {
	known := false
	for _, n := range Overlays() {
		known = known || n == name
	}
	if !known {
		return nil, fmt.Errorf("unknown overlay %q; known overlays: %v", name, Overlays())
	}
	o := &overlay{name: name, files: map[string][]byte{}}
	err := fs.WalkDir(overlays.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(overlays.FS, p)
		o.files[p] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("overlay %q: %w", name, err)
	}
	return o, nil
}

// kustomizeMu serializes kustomize builds: kustomize has had data races
// and panics in concurrent use.
var kustomizeMu sync.Mutex

// apply runs the overlay over the templated objects with krusty on an
// in-memory file system (plugins disabled, loading restricted to the
// kustomization roots) and returns the resulting objects. A kustomize panic
// becomes an error.
func (o *overlay) apply(ms []Manifest) (out []Manifest, err error) {
	fsys := filesys.MakeFsInMemory()
	for p, b := range o.files {
		if err := fsys.MkdirAll(path.Join("/overlays", path.Dir(p))); err != nil {
			return nil, err
		}
		if err := fsys.WriteFile(path.Join("/overlays", p), b); err != nil {
			return nil, err
		}
	}
	var release bytes.Buffer
	for _, m := range ms {
		release.WriteString("---\n")
		release.Write(m.YAML)
	}
	if err := fsys.WriteFile("/overlays/"+overlayBase+"/release.yaml", release.Bytes()); err != nil {
		return nil, err
	}

	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly

	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("kustomize panicked: %v", r)
		}
	}()
	resMap, err := krusty.MakeKustomizer(opts).Run(fsys, "/overlays/"+o.name)
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	y, err := resMap.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize output: %w", err)
	}
	out, err = splitDocuments("overlay "+o.name, y, nil)
	if err != nil {
		return nil, err
	}
	// Keep each object's chart source; objects the overlay added keep the
	// overlay as theirs.
	src := make(map[string]string, len(ms))
	for _, m := range ms {
		src[m.Kind+"/"+m.Namespace+"/"+m.Name] = m.Source
	}
	for i := range out {
		if s, ok := src[out[i].Kind+"/"+out[i].Namespace+"/"+out[i].Name]; ok {
			out[i].Source = s
		}
	}
	return out, nil
}
