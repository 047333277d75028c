package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// ErrNoMarker is returned by LoadApp when the directory has no marker file.
var ErrNoMarker = errors.New("no " + MarkerFile + " marker file")

// App is an Argo CD application directory prepared for rendering.
type App struct {
	// Dir is the application directory (the plugin's working directory).
	Dir string
	// Params are the settings: plugin defaults, KUBE_VERSION and
	// KUBE_API_VERSIONS, the marker file, then the Application's env and
	// parameters.
	Params Params
	// Fleet are the validated inputs.
	Fleet []renderer.Input
	// CBSLs are every ClusterBackupStorageLocation among the inputs,
	// including ones no cluster uses now (parameter previousLocations).
	CBSLs []renderer.Sourced[*kkpv1.ClusterBackupStorageLocation]
}

// LoadApp reads an Argo CD application directory the way the plugin's
// generate command does: the marker file clusterbackup.yaml (a RenderConfig;
// required), the settings from getenv (see ApplyArgoCDCluster and
// ApplyArgoCDApp), and the inputs named by parameter inputs (default ".":
// every *.yaml, *.yml and *.json below dir except the marker file, hidden
// directories skipped), matched and validated as a fleet.
func LoadApp(dir string, getenv func(string) string) (*App, error) {
	a := &App{Dir: dir}
	marker := filepath.Join(dir, MarkerFile)
	b, err := os.ReadFile(marker)
	if errors.Is(err, fs.ErrNotExist) {
		where := dir
		if abs, err := filepath.Abs(dir); err == nil {
			where = abs
		}
		if sp := getenv(EnvAppSourcePath); sp != "" {
			where += " (" + EnvAppSourcePath + "=" + sp + ")"
		}
		return nil, fmt.Errorf("%w in %s: the plugin renders only directories that hold one (a %s %s)", ErrNoMarker, where, ConfigAPIVersion, ConfigKind)
	}
	if err != nil {
		return nil, err
	}
	if err := a.Params.ApplyArgoCDCluster(getenv); err != nil {
		return nil, err
	}
	if err := a.Params.ApplyConfig(MarkerFile, b, false); err != nil {
		return nil, err
	}
	if err := a.Params.ApplyArgoCDApp(getenv); err != nil {
		return nil, err
	}
	var objs renderer.Objects
	for _, in := range a.Params.List(ParamInputs) {
		if err := loadInput(&objs, dir, in); err != nil {
			return nil, err
		}
	}
	if a.Fleet, err = renderer.BuildFleet(objs); err != nil {
		return nil, err
	}
	a.CBSLs = objs.CBSLs
	return a, nil
}

// loadInput adds the objects of one inputs entry (relative to dir).
func loadInput(objs *renderer.Objects, dir, in string) error {
	if filepath.IsAbs(in) || path.IsAbs(in) {
		return fmt.Errorf("parameter %s: %q must be relative to the application directory", ParamInputs, in)
	}
	root := filepath.Join(dir, filepath.FromSlash(in))
	st, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("parameter %s: %w", ParamInputs, err)
	}
	var files []string
	if !st.IsDir() {
		files = []string{root}
	} else {
		markerPath := filepath.Join(dir, MarkerFile)
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			switch filepath.Ext(p) {
			case ".yaml", ".yml", ".json":
				if p != markerPath {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("parameter %s: %w", ParamInputs, err)
		}
		if len(files) == 0 {
			return fmt.Errorf("parameter %s: %s holds no *.yaml, *.yml or *.json input files", ParamInputs, in)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		name, err := filepath.Rel(dir, f)
		if err != nil {
			name = f
		}
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		err = objs.Parse(filepath.ToSlash(name), fh)
		fh.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
