package settings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Parameter names. They are the keys of a RenderConfig's spec, the Argo CD
// plugin's parameter names, (upper-cased, with or without "_" between
// words) the ARGOCD_ENV_* and PARAM_* variable suffixes, and (in kebab
// case) the CLI's render flags (see Flag).
const (
	ParamCluster             = "cluster"
	ParamOverlay             = "overlay"
	ParamRegistry            = "registry"
	ParamVeleroVersion       = "veleroVersion"
	ParamPluginVersion       = "pluginVersion"
	ParamNodeAgent           = "nodeAgent"
	ParamCredentials         = "credentials"
	ParamCredentialsSecret   = "credentialsSecret"
	ParamExternalSecretStore = "externalSecretStore"
	ParamKubeVersion         = "kubeVersion"
	ParamAPIVersions         = "apiVersions"
	ParamInputs              = "inputs"
	ParamLifecycle           = "lifecycle"
	ParamPreviousLocations   = "previousLocations"
)

// Values of ParamLifecycle (docs/lifecycle.md).
const (
	LifecycleEnabled  = "enabled"
	LifecycleDisabled = "disabled"
	LifecyclePurged   = "purged"
)

// Spec describes one parameter.
type Spec struct {
	// Name is the parameter name.
	Name string
	// List says the parameter takes several values (an Argo CD array
	// parameter; a comma-separated string elsewhere).
	List bool
	// Default is the value the plugin applies when the parameter is not
	// given (Argo CD does not send announced defaults); a list default is
	// comma-separated.
	Default string
	// Help says what the parameter does. A word in back quotes names the
	// value, as in package flag's usage texts (the CLI flag's placeholder);
	// Text gives the help without them.
	Help string
}

// Text returns the help without the back quotes that mark the value's name.
func (s Spec) Text() string { return strings.ReplaceAll(s.Help, "`", "") }

// Specs lists every parameter, in the order the Argo CD plugin announces
// them. deploy/argocd/plugin.yaml must announce the same defaults (a test
// checks it).
var Specs = []Spec{
	{Name: ParamCluster, Help: "ID of the KKP `cluster` to render (the Cluster's metadata.name); may be empty when the inputs hold exactly one Cluster"},
	{Name: ParamOverlay, Help: "kustomize `overlay` applied after the chart: " + strings.Join(renderer.Overlays(), ", ") + "; empty for none"},
	{Name: ParamRegistry, Help: "image `registry` for every image, including the restore helper (air-gapped installs); empty for the chart's"},
	{Name: ParamVeleroVersion, Default: versions.Velero, Help: "Velero server image `tag`, optionally with @sha256:<digest> to pin the image by content; must stay in the pinned minor release " + minor(versions.Velero)},
	{Name: ParamPluginVersion, Default: versions.VeleroPluginForAWS, Help: "velero-plugin-for-aws image `tag`, optionally with @sha256:<digest> to pin the image by content; must stay in the pinned minor release " + minor(versions.VeleroPluginForAWS)},
	{Name: ParamNodeAgent, Default: "true", Help: "deploy the node-agent DaemonSet (File System Backup): true or false"},
	{Name: ParamCredentials, Default: string(renderer.CredentialsExistingSecret), Help: "credentials `mode`: existingSecret (reference the Secret the seed's credentials loop delivers), externalSecret (an External Secrets Operator ExternalSecret reading externalSecretStore) or inline (render the CBSL's keys into the output; opt-in)"},
	{Name: ParamCredentialsSecret, Default: "velero-cloud-credentials", Help: "`name` of the Secret in the Velero namespace holding the AWS credentials file"},
	{Name: ParamExternalSecretStore, Help: "with credentials externalSecret: the ClusterSecretStore to read from, or SecretStore/<name> for a namespaced `store`"},
	{Name: ParamKubeVersion, Default: renderer.DefaultKubeVersion, Help: "Kubernetes `version` the chart renders for"},
	{Name: ParamAPIVersions, List: true, Help: "extra API `versions` for the chart's capabilities, e.g. external-secrets.io/v1"},
	{Name: ParamInputs, List: true, Default: ".", Help: "Argo CD only: `files` or directories, relative to the application's path, holding the Clusters and ClusterBackupStorageLocations"},
	{Name: ParamLifecycle, Default: LifecycleEnabled, Help: "enabled; disabled (workloads dropped, CRDs, Namespace, read-only BSLs and paused Schedules kept); or purged (with disabled before it: renders nothing)"},
	{Name: ParamPreviousLocations, List: true, Help: "`names` of ClusterBackupStorageLocations among the inputs that the cluster used before a storage switch; each stays a read-only BSL so its backups remain restorable"},
}

// SpecFor returns the Spec of a parameter name, or false.
func SpecFor(name string) (Spec, bool) {
	for _, s := range Specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names returns every parameter name, sorted.
func Names() []string {
	out := make([]string, len(Specs))
	for i, s := range Specs {
		out[i] = s.Name
	}
	sort.Strings(out)
	return out
}

// Params are the settings of one render, built up from several sources (see
// Set); the zero value holds no setting and renders every default.
type Params struct {
	vals map[string][]string
	from map[string]string
}

// Set sets a parameter from a source (named in errors, e.g.
// "ARGOCD_APP_PARAMETERS"), replacing any earlier value. Only list
// parameters take more than one value. Unknown names are an error.
func (p *Params) Set(source, name string, values ...string) error {
	s, ok := SpecFor(name)
	if !ok {
		return fmt.Errorf("%s: unknown parameter %q; known parameters: %s", source, name, strings.Join(Names(), ", "))
	}
	if !s.List && len(values) != 1 {
		return fmt.Errorf("%s: parameter %q takes one value, got %d", source, name, len(values))
	}
	if p.vals == nil {
		p.vals, p.from = map[string][]string{}, map[string]string{}
	}
	p.vals[name] = append([]string(nil), values...)
	p.from[name] = source
	return nil
}

// SetString is Set with one string, which a list parameter splits at commas
// (the form of environment variables and ConfigMap data).
func (p *Params) SetString(source, name, value string) error {
	if s, ok := SpecFor(name); ok && s.List {
		return p.Set(source, name, splitList(value)...)
	}
	return p.Set(source, name, value)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Get returns a parameter's value: what was set, or its default. A list
// parameter's values are joined with commas.
func (p *Params) Get(name string) string {
	return strings.Join(p.List(name), ",")
}

// List returns a list parameter's values: what was set, or its default.
func (p *Params) List(name string) []string {
	if v, ok := p.vals[name]; ok {
		return v
	}
	s, _ := SpecFor(name)
	if s.List {
		return splitList(s.Default)
	}
	if s.Default == "" {
		return nil
	}
	return []string{s.Default}
}

// IsSet reports whether a parameter was set by any source.
func (p *Params) IsSet(name string) bool {
	_, ok := p.vals[name]
	return ok
}

// Source returns where a parameter's value came from ("default" if unset).
func (p *Params) Source(name string) string {
	if s, ok := p.from[name]; ok {
		return s
	}
	return "default"
}
