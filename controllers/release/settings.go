package release

import (
	"cmp"
	"fmt"
	"os"

	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// Settings are the seed's render configuration: the parameters of a
// RenderConfig document (the Argo CD marker file clusterbackup.yaml and the
// KRM functionConfig) mapped onto renderer.Options by the same code as the
// Argo CD plugin and the KRM function, so the release loop renders the
// same objects as they do for the same settings.
type Settings struct {
	// Params are the parameters as read.
	Params settings.Params
	// Options are the render options Params map onto.
	Options renderer.Options
}

// ParseSettings reads a RenderConfig document (YAML or JSON; source names it
// in errors). An empty document gives every default. It refuses, naming the
// parameter, what the seed drives itself per cluster from its Clusters,
// CBSLs and state (settings.GitOpsOnly: cluster, inputs, lifecycle,
// previousLocations) and credentials inline: the credentials loop delivers
// the Secret, keys never go through the release loop.
func ParseSettings(source string, doc []byte) (Settings, error) {
	var s Settings
	if err := s.Params.ApplyConfig(source, doc, false); err != nil {
		return Settings{}, err
	}
	for _, g := range settings.GitOpsOnly {
		if s.Params.IsSet(g.Name) {
			return Settings{}, fmt.Errorf("parameter %s (from %s) cannot be set in the seed's render configuration: %s", g.Name, s.Params.Source(g.Name), g.ReleaseLoop)
		}
	}
	if m := s.Params.Get(settings.ParamCredentials); m == string(renderer.CredentialsInline) {
		return Settings{}, fmt.Errorf("parameter %s=%q (from %s) cannot be used by the release loop: the credentials loop delivers the credentials Secret and keys never go through a render; use %s or %s",
			settings.ParamCredentials, m, s.Params.Source(settings.ParamCredentials), renderer.CredentialsExistingSecret, renderer.CredentialsExternalSecret)
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
	return cmp.Or(s.Options.VeleroTag, versions.Velero)
}
