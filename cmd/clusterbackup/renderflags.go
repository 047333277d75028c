//go:build !webhookonly

package main

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/gitops"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// renderFlags say what to render and how. `render` and `diff -f` register
// the same flags, so a diff compares against exactly what render writes.
//
// The settings that say how a release looks (overlay, registry, versions,
// credentials mode, node-agent, ...) are parsed into gitops.Params, the one
// settings type of the Argo CD plugin, the KRM function and the seed's
// release loop, and validated by it (params): each error names the flag.
// Only what is about files and processes (-f, --values, --previous,
// --kkp-migrate, --disable, --purge, --concurrency) stays here.
type renderFlags struct {
	files, values, previous        []string
	overlay, kubeVersion, registry string
	credentials                    string
	storeName, storeKind           string
	veleroVersion, pluginVersion   string
	credentialsSecret              string
	apiVersions                    []string
	noNodeAgent, disable, purge    bool
	kkpMigrate                     bool
	concurrency                    int
	names                          map[string]bool // the flags registered here other than -f
	// override are chart values a command (not a flag) merges over the
	// --values files, e.g. webhook-config's.
	override map[string]any
}

// register adds the render flags to fs; filesUsage describes -f.
func (f *renderFlags) register(fs *flag.FlagSet, filesUsage string) {
	before := map[string]bool{}
	fs.VisitAll(func(fl *flag.Flag) { before[fl.Name] = true })

	fs.Var(listOf(&f.files), "f", filesUsage)
	fs.StringVar(&f.overlay, "overlay", "", "apply the named kustomize `overlay` ("+strings.Join(renderer.Overlays(), ", ")+")")
	fs.StringVar(&f.kubeVersion, "kube-version", renderer.DefaultKubeVersion, "Kubernetes `version` the chart renders for")
	fs.StringVar(&f.registry, "registry", "", "image `registry` for every image, including the restore helper (air-gapped installs)")
	fs.StringVar(&f.credentials, "credentials", string(renderer.CredentialsExistingSecret), "credentials `mode`: existingSecret (reference the Secret the seed's credentials loop delivers), externalSecret or external-secret (an External Secrets Operator ExternalSecret reading --external-secret-store) or inline (render the CBSL's keys; opt-in)")
	fs.StringVar(&f.storeName, "external-secret-store", "", "with --credentials externalSecret: the `name` of the SecretStore or ClusterSecretStore holding the CBSL's credential Secret")
	fs.StringVar(&f.storeKind, "external-secret-store-kind", "ClusterSecretStore", "with --credentials externalSecret: the store's `kind`, ClusterSecretStore or SecretStore")
	fs.BoolVar(&f.noNodeAgent, "no-node-agent", false, "do not deploy the node-agent (no File System Backup)")
	fs.StringVar(&f.veleroVersion, "velero-version", paramDefault(gitops.ParamVeleroVersion), "Velero server image `tag` (within the pinned minor release), optionally with @sha256:<digest> to pin the image by content")
	fs.StringVar(&f.pluginVersion, "plugin-version", paramDefault(gitops.ParamPluginVersion), "velero-plugin-for-aws image `tag` (within the pinned minor release), optionally with @sha256:<digest>")
	fs.StringVar(&f.credentialsSecret, "credentials-secret", paramDefault(gitops.ParamCredentialsSecret), "`name` of the Secret in the Velero namespace holding the AWS credentials file")
	fs.Var(listOf(&f.apiVersions), "api-versions", "an extra API `version` for the chart's capabilities, e.g. external-secrets.io/v1 (repeatable)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "clusters rendered at once (default: number of CPUs)")
	fs.Var(listOf(&f.values), "values", "a YAML `file` of extra chart values (server.resources, nodeAgent, schedules, webhook, ...) merged over the computed ones (repeatable)")
	fs.Var(listOf(&f.previous), "previous", "a `file` of the CBSLs clusters used before a storage switch; each becomes a read-only BSL of the clusters of its project that now use another CBSL (repeatable; docs/lifecycle.md)")
	fs.BoolVar(&f.disable, "disable", false, "render the clusters disabled: workloads dropped; CRDs, Namespace, read-only BSLs and paused Schedules kept")
	fs.BoolVar(&f.kkpMigrate, "kkp-migrate", false, "clusters come from KKP's own backup controller: keep its location <projectID>/<clusterID> as the read-only BSL "+renderer.KKPBSLName+" when it differs (docs/migration.md)")
	fs.BoolVar(&f.purge, "purge", false, "with --disable: render nothing, not even CRDs and BSLs (a deliberate purge; diff refuses it unless allowed)")

	f.names = map[string]bool{}
	fs.VisitAll(func(fl *flag.Flag) {
		if !before[fl.Name] && fl.Name != "f" {
			f.names[fl.Name] = true
		}
	})
}

// set returns the render flags (other than -f) given on the command line,
// as "--name", sorted.
func (f *renderFlags) set(fs *flag.FlagSet) []string {
	var out []string
	fs.Visit(func(fl *flag.Flag) {
		if f.names[fl.Name] {
			out = append(out, "--"+fl.Name)
		}
	})
	sort.Strings(out)
	return out
}

// check validates the flag values that need no file reads: the flag
// combinations, and every release setting through gitops.Params, as the
// Argo CD plugin, the KRM function and the release loop validate theirs.
func (f *renderFlags) check() error {
	if f.purge && !f.disable {
		return fmt.Errorf("%w: --purge needs --disable (a purge is only possible for a disabled cluster)", errUsage)
	}
	if _, err := f.options(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// params returns the release settings of the flags as gitops.Params, each
// from the source "--<flag>".
func (f *renderFlags) params() (*gitops.Params, error) {
	var p gitops.Params
	credentials := f.credentials
	if credentials == "external-secret" {
		credentials = string(renderer.CredentialsExternalSecret)
	}
	store := f.storeName
	switch {
	case f.storeKind != "ClusterSecretStore" && f.storeKind != "SecretStore":
		return nil, fmt.Errorf("--external-secret-store-kind must be ClusterSecretStore or SecretStore, not %q", f.storeKind)
	case store != "" && f.storeKind == "SecretStore":
		store = "SecretStore/" + store
	}
	for _, set := range []struct{ flag, param, value string }{
		{"--overlay", gitops.ParamOverlay, f.overlay},
		{"--registry", gitops.ParamRegistry, f.registry},
		{"--kube-version", gitops.ParamKubeVersion, f.kubeVersion},
		{"--credentials", gitops.ParamCredentials, credentials},
		{"--external-secret-store", gitops.ParamExternalSecretStore, store},
		{"--credentials-secret", gitops.ParamCredentialsSecret, f.credentialsSecret},
		{"--no-node-agent", gitops.ParamNodeAgent, strconv.FormatBool(!f.noNodeAgent)},
		{"--velero-version", gitops.ParamVeleroVersion, f.veleroVersion},
		{"--plugin-version", gitops.ParamPluginVersion, f.pluginVersion},
	} {
		if err := p.Set(set.flag, set.param, set.value); err != nil {
			return nil, err
		}
	}
	if len(f.apiVersions) > 0 {
		if err := p.Set("--api-versions", gitops.ParamAPIVersions, f.apiVersions...); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// options returns the renderer options the release settings give
// (gitops.Params.Options: the same mapping and rules everywhere).
func (f *renderFlags) options() (renderer.Options, error) {
	p, err := f.params()
	if err != nil {
		return renderer.Options{}, err
	}
	return p.Options()
}

// paramDefault is a release setting's default (the flag's default).
func paramDefault(name string) string {
	s, _ := gitops.SpecFor(name)
	return s.Default
}

// newRenderer reads the --values files and returns a Renderer with the
// options the flags give, made for a fleet of n clusters.
func (f *renderFlags) newRenderer(n int) (*renderer.Renderer, error) {
	extra, err := loadValueFiles(f.values)
	if err != nil {
		return nil, err
	}
	if f.override != nil {
		extra = mergeValues(extra, f.override)
	}
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	opts.Concurrency, opts.Values = f.concurrency, extra
	if n == 1 {
		opts.Single = true // one cluster: skip the fleet-only start-up work (same output)
	}
	return renderer.New(opts)
}

// lifecycle reads the --previous files and returns each cluster's life
// cycle, or nil when the flags ask for none (a plain render).
func (f *renderFlags) lifecycle() (func(renderer.Input) renderer.Lifecycle, error) {
	if len(f.previous) == 0 && !f.disable && !f.kkpMigrate {
		return nil, nil
	}
	prev, err := input.Load(nil, f.previous...)
	if err != nil {
		return nil, fmt.Errorf("--previous: %w", err)
	}
	return func(in renderer.Input) renderer.Lifecycle {
		previous := previousFor(in, prev.CBSLs)
		if p, ok := renderer.KKPPreviousLocation(in); ok && f.kkpMigrate {
			previous = append(previous, p)
		}
		return renderer.Lifecycle{Previous: previous, Disabled: f.disable, Purge: f.purge}
	}, nil
}

// previousFor returns the previous locations of a cluster: the given CBSLs
// of its project other than the one it uses now.
func previousFor(in renderer.Input, cbsls []input.Sourced[*kkpv1.ClusterBackupStorageLocation]) []renderer.PreviousLocation {
	var out []renderer.PreviousLocation
	for _, c := range cbsls {
		if c.Object.Labels[kkpv1.ProjectIDLabel] != in.ProjectID() || (in.CBSL != nil && c.Object.Namespace == in.CBSL.Namespace && c.Object.Name == in.CBSL.Name) {
			continue
		}
		out = append(out, renderer.PreviousLocation{CBSL: c.Object})
	}
	return out
}
