package release

import (
	"fmt"
	"os"

	"github.com/clusterbackup/clusterbackup/internal/gitops"
	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Settings are the seed's render configuration: the parameters of a
// RenderConfig document (the Argo CD marker file clusterbackup.yaml and the
// KRM functionConfig) mapped onto renderer.Options by the same code as the
// Argo CD plugin and the KRM function, so the release loop renders the
// same objects as they do for the same settings.
type Settings struct {
	// Params are the parameters as read.
	Params gitops.Params
	// Options are the render options Params map onto.
	Options renderer.Options
}

// drivenParams are the parameters the seed sets itself, per cluster, from
// its Clusters, CBSLs and state; a render configuration may not set them.
var drivenParams = map[string]string{
	gitops.ParamCluster:           "the loop renders every Cluster of the seed",
	gitops.ParamInputs:            "the loop reads Clusters and ClusterBackupStorageLocations from the seed's API",
	gitops.ParamLifecycle:         "the seed drives the life cycle from each Cluster's backupConfig",
	gitops.ParamPreviousLocations: "the seed remembers each cluster's previous locations itself",
}

// ParseSettings reads a RenderConfig document (YAML or JSON; source names it
// in errors). An empty document gives every default. It refuses, naming the
// parameter, what the seed drives itself (cluster, inputs, lifecycle,
// previousLocations) and credentials inline: the credentials loop delivers
// the Secret, keys never go through the release loop.
func ParseSettings(source string, doc []byte) (Settings, error) {
	var s Settings
	if err := s.Params.ApplyConfig(source, doc, false); err != nil {
		return Settings{}, err
	}
	for _, name := range gitops.Names() {
		if why, ok := drivenParams[name]; ok && s.Params.IsSet(name) {
			return Settings{}, fmt.Errorf("parameter %s (from %s) cannot be set in the seed's render configuration: %s", name, s.Params.Source(name), why)
		}
	}
	if m := s.Params.Get(gitops.ParamCredentials); m == string(renderer.CredentialsInline) {
		return Settings{}, fmt.Errorf("parameter %s=%q (from %s) cannot be used by the release loop: the credentials loop delivers the credentials Secret and keys never go through a render; use %s or %s",
			gitops.ParamCredentials, m, s.Params.Source(gitops.ParamCredentials), renderer.CredentialsExistingSecret, renderer.CredentialsExternalSecret)
	}
	o, err := s.Params.Options()
	if err != nil {
		return Settings{}, err
	}
	s.Options = o
	return s, nil
}

// LoadSettings reads the render configuration file at path with
// ParseSettings; "" gives every default.
func LoadSettings(path string) (Settings, error) {
	if path == "" {
		return ParseSettings("defaults", nil)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, fmt.Errorf("release render configuration: %w", err)
	}
	return ParseSettings(path, b)
}

// VeleroVersion returns the Velero version the settings render.
func (s Settings) VeleroVersion() string {
	return or(s.Options.VeleroTag, versions.Velero)
}
