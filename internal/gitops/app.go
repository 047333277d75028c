package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// MarkerFile is the file whose presence makes the Argo CD plugin render a
// directory; it holds a RenderConfig (settings.ConfigKind).
const MarkerFile = "clusterbackup.yaml"

// ErrNoMarker is returned by LoadApp when the directory has no marker file.
var ErrNoMarker = errors.New("no " + MarkerFile + " marker file")

// App is an Argo CD application directory prepared for rendering.
type App struct {
	// Dir is the application directory (the plugin's working directory).
	Dir string
	// Params are the settings: plugin defaults, KUBE_VERSION and
	// KUBE_API_VERSIONS, the marker file, then the Application's env and
	// parameters.
	Params settings.Params
	// Fleet are the validated inputs.
	Fleet []renderer.Input
	// CBSLs are every ClusterBackupStorageLocation among the inputs,
	// including ones no cluster uses now (parameter previousLocations).
	CBSLs []input.Sourced[*kkpv1.ClusterBackupStorageLocation]
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
		return nil, fmt.Errorf("%w in %s: the plugin renders only directories that hold one (a %s %s)", ErrNoMarker, where, settings.ConfigAPIVersion, settings.ConfigKind)
	}
	if err != nil {
		return nil, err
	}
	if err := ApplyArgoCDCluster(&a.Params, getenv); err != nil {
		return nil, err
	}
	if err := a.Params.ApplyConfig(MarkerFile, b, false); err != nil {
		return nil, err
	}
	if err := ApplyArgoCDApp(&a.Params, getenv); err != nil {
		return nil, err
	}
	objs := &input.Objects{Skip: func(name string) bool { return name == MarkerFile }}
	for _, in := range a.Params.List(settings.ParamInputs) {
		if filepath.IsAbs(in) || path.IsAbs(in) {
			return nil, fmt.Errorf("parameter %s: %q must be relative to the application directory", settings.ParamInputs, in)
		}
		if err := objs.LoadFS(os.DirFS(dir), path.Clean(filepath.ToSlash(in))); err != nil {
			return nil, fmt.Errorf("parameter %s: %w", settings.ParamInputs, err)
		}
	}
	if a.Fleet, err = renderer.BuildFleet(objs); err != nil {
		return nil, err
	}
	a.CBSLs = objs.CBSLs
	return a, nil
}
