//go:build !webhookonly

package main

import (
	"flag"
	"fmt"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"sort"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// renderFlags say what to render and how. `render` and `diff -f` register
// the same flags, so a diff compares against exactly what render writes.
type renderFlags struct {
	files, values, previous        []string
	overlay, kubeVersion, registry string
	credentials                    string
	storeName, storeKind           string
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

// check validates the flag values that need no file reads.
func (f *renderFlags) check() error {
	if f.credentials == "external-secret" {
		f.credentials = string(renderer.CredentialsExternalSecret)
	}
	mode := renderer.CredentialsMode(f.credentials)
	switch {
	case mode != renderer.CredentialsExistingSecret && mode != renderer.CredentialsInline && mode != renderer.CredentialsExternalSecret:
		return fmt.Errorf("%w: --credentials must be %s, %s or %s, not %q", errUsage, renderer.CredentialsExistingSecret, renderer.CredentialsExternalSecret, renderer.CredentialsInline, f.credentials)
	case mode == renderer.CredentialsExternalSecret && f.storeName == "":
		return fmt.Errorf("%w: --credentials %s needs --external-secret-store", errUsage, renderer.CredentialsExternalSecret)
	case mode != renderer.CredentialsExternalSecret && f.storeName != "":
		return fmt.Errorf("%w: --external-secret-store needs --credentials %s", errUsage, renderer.CredentialsExternalSecret)
	case f.purge && !f.disable:
		return fmt.Errorf("%w: --purge needs --disable (a purge is only possible for a disabled cluster)", errUsage)
	}
	return nil
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
	opts := renderer.Options{
		KubeVersion:         f.kubeVersion,
		Overlay:             f.overlay,
		Registry:            f.registry,
		Credentials:         renderer.CredentialsMode(f.credentials),
		ExternalSecretStore: renderer.SecretStoreRef{Name: f.storeName, Kind: f.storeKind},
		DisableNodeAgent:    f.noNodeAgent,
		Concurrency:         f.concurrency,
		Values:              extra,
	}
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
