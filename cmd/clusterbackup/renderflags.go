//go:build !webhookonly

package main

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// renderFlags say what to render and how. `render` and `diff -f` register
// the same flags, so a diff compares against exactly what render writes.
//
// The settings that say how a release looks are bound from
// settings.Specs, one flag per parameter (settings.FlagName: veleroVersion
// is --velero-version) with the parameter's help and default, parsed into
// settings.Params and validated by it, as the Argo CD plugin, the KRM
// function and the seed's release loop are: each error names the flag.
// flagShapes are the flags whose shape differs from their parameter;
// settings.GitOpsOnly the parameters without a flag; settings.CLIOnly the
// flags below that are no parameter (files and processes: -f, --values,
// --previous, --kkp-migrate, --disable, --purge, --concurrency).
type renderFlags struct {
	files, values, previous []string
	release                 []*paramFlag // one per parameter with a flag, in settings.Specs order
	storeKind               string       // --external-secret-store-kind
	disable, purge          bool
	kkpMigrate              bool
	concurrency             int
	names                   map[string]bool // the flags registered here other than -f
	// override are chart values a command (not a flag) merges over the
	// --values files, e.g. webhook-config's.
	override map[string]any
}

// flagShape is a release-setting flag that is not simply its parameter.
type flagShape struct {
	// name replaces settings.FlagName(parameter).
	name string
	// help replaces the parameter's help.
	help string
	// negate makes it a boolean flag whose value is the parameter's
	// negation.
	negate bool
	// aliases are values the flag also accepts, mapped onto the parameter's
	// (the help says so).
	aliases map[string]string
}

// flagShapes are the release settings whose flag differs from the
// parameter. --external-secret-store-kind (the store's kind, which the
// parameter writes as the prefix SecretStore/) is registered beside
// --external-secret-store.
var flagShapes = map[string]flagShape{
	settings.ParamNodeAgent:   {name: "no-node-agent", negate: true, help: "do not deploy the node-agent (no File System Backup)"},
	settings.ParamCredentials: {aliases: map[string]string{"external-secret": string(renderer.CredentialsExternalSecret)}},
}

// storeKindFlag is the flag of the external secret store's kind.
const storeKindFlag = "external-secret-store-kind"

// paramFlag is the flag of one parameter; its values become the
// parameter's, from the source "--<flag>", only when given.
type paramFlag struct {
	spec  settings.Spec
	name  string
	shape flagShape
	vals  []string
	set   bool
}

// String implements flag.Value: the given value, else the default (so the
// flag's default is the parameter's).
func (v *paramFlag) String() string {
	if v.set {
		return strings.Join(v.vals, ",")
	}
	if v.shape.negate {
		return strconv.FormatBool(v.spec.Default != "true")
	}
	return v.spec.Default
}

// Set implements flag.Value: a list parameter's flag is repeatable, one
// value per use; any other flag's last use wins.
func (v *paramFlag) Set(s string) error {
	if !v.spec.List {
		v.vals = nil
	}
	v.vals, v.set = append(v.vals, s), true
	return nil
}

// negatedFlag is the boolean flag of a negated parameter: a type of its own
// so that its zero value, like its default, reads "false" (package flag
// prints no default for it, as for any boolean flag that defaults to false).
type negatedFlag struct{ paramFlag }

// String implements flag.Value.
func (v *negatedFlag) String() string {
	if v.spec.Name == "" {
		return "false"
	}
	return v.paramFlag.String()
}

// IsBoolFlag makes it a boolean flag (no value needed).
func (v *negatedFlag) IsBoolFlag() bool { return true }

// value returns the parameter's values the flag gives: the values given
// (aliases and negation applied), else the parameter's default.
func (v *paramFlag) value() ([]string, error) {
	switch {
	case !v.set && v.spec.List:
		var defaults settings.Params
		return defaults.List(v.spec.Name), nil
	case !v.set:
		return []string{v.spec.Default}, nil
	case v.shape.negate:
		b, err := strconv.ParseBool(v.vals[0])
		if err != nil {
			return nil, fmt.Errorf("--%s must be true or false, not %q", v.name, v.vals[0])
		}
		return []string{strconv.FormatBool(!b)}, nil
	}
	out := make([]string, len(v.vals))
	for i, s := range v.vals {
		if a, ok := v.shape.aliases[s]; ok {
			s = a
		}
		out[i] = s
	}
	return out, nil
}

// register adds the render flags to fs; filesUsage describes -f.
func (f *renderFlags) register(fs *flag.FlagSet, filesUsage string) {
	before := map[string]bool{}
	fs.VisitAll(func(fl *flag.Flag) { before[fl.Name] = true })

	fs.Var(listOf(&f.files), "f", filesUsage)
	f.release = nil
	for _, s := range settings.Specs {
		if _, ok := settings.GitOpsOnlyFor(s.Name); ok {
			continue
		}
		v := &paramFlag{spec: s, name: settings.FlagName(s.Name), shape: flagShapes[s.Name]}
		help := s.Help
		if v.shape.name != "" {
			v.name = v.shape.name
		}
		if v.shape.help != "" {
			help = v.shape.help
		}
		for _, a := range slices.Sorted(maps.Keys(v.shape.aliases)) {
			help += "; " + a + " means " + v.shape.aliases[a]
		}
		if s.List {
			help += " (repeatable)"
		}
		if v.shape.negate {
			n := &negatedFlag{paramFlag: *v}
			v = &n.paramFlag
			fs.Var(n, v.name, help)
		} else {
			fs.Var(v, v.name, help)
		}
		f.release = append(f.release, v)
		if s.Name == settings.ParamExternalSecretStore {
			fs.StringVar(&f.storeKind, storeKindFlag, "ClusterSecretStore", "with --credentials externalSecret: the store's `kind`, ClusterSecretStore or SecretStore")
		}
	}
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
// combinations, and every release setting through settings.Params, as the
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

// params returns the release settings the flags give (given or default),
// each from the source "--<flag>".
func (f *renderFlags) params() (*settings.Params, error) {
	if f.storeKind != "ClusterSecretStore" && f.storeKind != "SecretStore" {
		return nil, fmt.Errorf("--%s must be ClusterSecretStore or SecretStore, not %q", storeKindFlag, f.storeKind)
	}
	var p settings.Params
	for _, v := range f.release {
		vals, err := v.value()
		if err != nil {
			return nil, err
		}
		if v.spec.Name == settings.ParamExternalSecretStore && f.storeKind == "SecretStore" && len(vals) == 1 && vals[0] != "" {
			vals = []string{"SecretStore/" + vals[0]}
		}
		if err := p.Set("--"+v.name, v.spec.Name, vals...); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// options returns the renderer options the release settings give
// (settings.Params.Options: the same mapping and rules everywhere).
func (f *renderFlags) options() (renderer.Options, error) {
	p, err := f.params()
	if err != nil {
		return renderer.Options{}, err
	}
	return p.Options()
}

// kubeVersion is the Kubernetes version the flags render for, as given.
func (f *renderFlags) kubeVersion() string {
	var p settings.Params
	if q, err := f.params(); err == nil {
		p = *q
	}
	return p.Get(settings.ParamKubeVersion)
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
