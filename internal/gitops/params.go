package gitops

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Parameter names. They are the keys of a RenderConfig's spec, the Argo CD
// plugin's parameter names, and (upper-cased, with or without "_" between
// words) the ARGOCD_ENV_* and PARAM_* variable suffixes.
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
	// Help says what the parameter does.
	Help string
}

// Specs lists every parameter, in the order the Argo CD plugin announces
// them. deploy/argocd/plugin.yaml must announce the same defaults (a test
// checks it).
var Specs = []Spec{
	{Name: ParamCluster, Help: "ID of the KKP cluster to render (the Cluster's metadata.name); may be empty when the inputs hold exactly one Cluster"},
	{Name: ParamOverlay, Help: "kustomize overlay applied after the chart: " + strings.Join(renderer.Overlays(), ", ") + "; empty for none"},
	{Name: ParamRegistry, Help: "image registry for every image, including the restore helper (air-gapped installs); empty for the chart's"},
	{Name: ParamVeleroVersion, Default: versions.Velero, Help: "Velero server image tag, optionally with @sha256:<digest> to pin the image by content; must stay in the pinned minor release " + minor(versions.Velero)},
	{Name: ParamPluginVersion, Default: versions.VeleroPluginForAWS, Help: "velero-plugin-for-aws image tag, optionally with @sha256:<digest> to pin the image by content; must stay in the pinned minor release " + minor(versions.VeleroPluginForAWS)},
	{Name: ParamNodeAgent, Default: "true", Help: "deploy the node-agent DaemonSet (File System Backup): true or false"},
	{Name: ParamCredentials, Default: string(renderer.CredentialsExistingSecret), Help: "existingSecret (reference the Secret the seed's credentials loop delivers), externalSecret (an External Secrets Operator ExternalSecret reading externalSecretStore) or inline (render the CBSL's keys into the output; opt-in)"},
	{Name: ParamCredentialsSecret, Default: "velero-cloud-credentials", Help: "name of the Secret in the Velero namespace holding the AWS credentials file"},
	{Name: ParamExternalSecretStore, Help: "with credentials externalSecret: the ClusterSecretStore to read from, or SecretStore/<name> for a namespaced store"},
	{Name: ParamKubeVersion, Default: renderer.DefaultKubeVersion, Help: "Kubernetes version the chart renders for (Argo CD's KUBE_VERSION replaces the default)"},
	{Name: ParamAPIVersions, List: true, Help: "extra API versions for the chart's capabilities (Argo CD's KUBE_API_VERSIONS replaces the default)"},
	{Name: ParamInputs, List: true, Default: ".", Help: "Argo CD only: files or directories, relative to the application's path, holding the Clusters and ClusterBackupStorageLocations"},
	{Name: ParamLifecycle, Default: LifecycleEnabled, Help: "enabled; disabled (workloads dropped, CRDs, Namespace, read-only BSLs and paused Schedules kept); or purged (with disabled before it: renders nothing)"},
	{Name: ParamPreviousLocations, List: true, Help: "names of ClusterBackupStorageLocations among the inputs that the cluster used before a storage switch; each stays a read-only BSL so its backups remain restorable"},
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

var tagRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// digestRE is an image digest as the chart's schema accepts it.
var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// minor returns "vX.Y" of a "vX.Y.Z" tag.
func minor(tag string) string {
	m := tagRE.FindStringSubmatch(tag)
	if m == nil {
		return tag
	}
	return "v" + m[1] + "." + m[2]
}

// Options maps the parameters onto renderer.Options. A default value maps to
// the zero option, so the defaults render exactly what renderer.Options{}
// renders. It checks every value and names the parameter and its source in
// errors: the overlay must exist, versions must be vX.Y.Z tags in the pinned
// minor releases (the chart's CRDs are Velero's), nodeAgent a boolean,
// credentials a known mode.
func (p *Params) Options() (renderer.Options, error) {
	var o renderer.Options
	bad := func(name, rule string) error {
		return fmt.Errorf("parameter %s=%q (from %s): %s", name, p.Get(name), p.Source(name), rule)
	}
	if ov := p.Get(ParamOverlay); ov != "" {
		known := renderer.Overlays()
		found := false
		for _, k := range known {
			found = found || k == ov
		}
		if !found {
			return o, bad(ParamOverlay, fmt.Sprintf("unknown overlay; known overlays: %s", strings.Join(known, ", ")))
		}
		o.Overlay = ov
	}
	o.Registry = strings.TrimSpace(p.Get(ParamRegistry))
	if strings.ContainsAny(o.Registry, " \t\r\n@") {
		return o, bad(ParamRegistry, "must be a registry host (with optional port) and optional path, without blanks or a digest")
	}
	for _, v := range []struct {
		name, pinned string
		dst, digest  *string
	}{
		{ParamVeleroVersion, versions.Velero, &o.VeleroTag, &o.VeleroDigest},
		{ParamPluginVersion, versions.VeleroPluginForAWS, &o.PluginTag, &o.PluginDigest},
	} {
		tag, digest, pinned := strings.Cut(p.Get(v.name), "@")
		if pinned {
			if !digestRE.MatchString(digest) {
				return o, bad(v.name, "the digest after @ must be sha256:<64 lower-case hex digits>")
			}
			*v.digest = digest
		}
		if !tagRE.MatchString(tag) {
			return o, bad(v.name, "must be a release tag vX.Y.Z, optionally with @sha256:<digest>")
		}
		if minor(tag) != minor(v.pinned) {
			return o, bad(v.name, fmt.Sprintf("must stay in %s.x: the chart's CRDs and the Velero/plugin pair are pinned to %s with %s",
				minor(v.pinned), versions.Velero, versions.VeleroPluginForAWS))
		}
		if tag != v.pinned {
			*v.dst = tag
		}
	}
	na, err := strconv.ParseBool(p.Get(ParamNodeAgent))
	if err != nil {
		return o, bad(ParamNodeAgent, "must be true or false")
	}
	o.DisableNodeAgent = !na
	store := p.Get(ParamExternalSecretStore)
	switch m := renderer.CredentialsMode(p.Get(ParamCredentials)); m {
	case renderer.CredentialsExistingSecret:
	case renderer.CredentialsInline:
		o.Credentials = m
	case renderer.CredentialsExternalSecret:
		o.Credentials = m
		if store == "" {
			return o, bad(ParamExternalSecretStore, "is required with credentials "+string(m))
		}
		o.ExternalSecretStore.Name = store
		if kind, name, ok := strings.Cut(store, "/"); ok {
			o.ExternalSecretStore = renderer.SecretStoreRef{Kind: kind, Name: name}
		}
	default:
		return o, bad(ParamCredentials, fmt.Sprintf("must be %s, %s or %s", renderer.CredentialsExistingSecret, renderer.CredentialsExternalSecret, renderer.CredentialsInline))
	}
	if store != "" && o.Credentials != renderer.CredentialsExternalSecret {
		return o, bad(ParamExternalSecretStore, "needs credentials "+string(renderer.CredentialsExternalSecret))
	}
	if cs, _ := SpecFor(ParamCredentialsSecret); p.Get(ParamCredentialsSecret) != cs.Default {
		o.CredentialsSecret = p.Get(ParamCredentialsSecret)
		if o.CredentialsSecret == "" {
			return o, bad(ParamCredentialsSecret, "must not be empty")
		}
	}
	kv, err := normalizeKubeVersion(p.Get(ParamKubeVersion))
	if err != nil {
		return o, bad(ParamKubeVersion, err.Error())
	}
	if kv != renderer.DefaultKubeVersion {
		o.KubeVersion = kv
	}
	o.APIVersions = p.List(ParamAPIVersions)
	return o, nil
}

var kubeVersionRE = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([-+][0-9A-Za-z.+-]*)?$`)

// normalizeKubeVersion accepts what Argo CD's KUBE_VERSION and users write
// ("1.37", "v1.37.2", "1.37.2-gke.100", "1.37+") and returns "vX.Y.Z" plus
// any pre-release part.
func normalizeKubeVersion(v string) (string, error) {
	v = strings.TrimSpace(v)
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("must be a Kubernetes version such as v1.37.2")
	}
	patch := m[4]
	if patch == "" {
		patch = "0"
	}
	out := "v" + m[1] + "." + m[2] + "." + patch
	if rest := strings.TrimRight(m[5], "+"); strings.HasPrefix(rest, "-") {
		if i := strings.IndexByte(rest, '+'); i >= 0 {
			rest = rest[:i]
		}
		out += rest
	}
	return out, nil
}
