//go:build !webhookonly

package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// TestRenderFlagsFromSpecs: every parameter has its render flag, named
// after it (or by its flagShapes entry), with the parameter's default,
// unless it is in settings.GitOpsOnly; every other render flag is in
// settings.CLIOnly or the store kind beside --external-secret-store.
func TestRenderFlagsFromSpecs(t *testing.T) {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var rf renderFlags
	rf.register(fs, "inputs")

	bound := map[string]bool{storeKindFlag: true}
	for _, s := range settings.Specs {
		name, shape := settings.FlagName(s.Name), flagShapes[s.Name]
		if shape.name != "" {
			name = shape.name
		}
		_, gitOpsOnly := settings.GitOpsOnlyFor(s.Name)
		fl := fs.Lookup(name)
		switch {
		case gitOpsOnly && fl != nil:
			t.Errorf("parameter %s is GitOps-only, yet has the flag --%s", s.Name, name)
			continue
		case gitOpsOnly:
			continue
		case fl == nil:
			t.Errorf("parameter %s has no flag --%s and is not in settings.GitOpsOnly", s.Name, name)
			continue
		}
		bound[name] = true
		want, help := s.Default, s.Help
		if shape.negate {
			want = strconv.FormatBool(s.Default != "true")
		}
		if shape.help != "" {
			help = shape.help
		}
		if fl.DefValue != want {
			t.Errorf("--%s defaults to %q, parameter %s to %q", name, fl.DefValue, s.Name, want)
		}
		if !strings.HasPrefix(fl.Usage, help) {
			t.Errorf("--%s: usage %q, want the parameter's help %q", name, fl.Usage, help)
		}
	}
	cliOnly := map[string]bool{}
	for _, c := range settings.CLIOnly {
		cliOnly[c.Flag] = true
		if fs.Lookup(c.Flag) == nil {
			t.Errorf("settings.CLIOnly lists --%s, which render does not have", c.Flag)
		}
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if !bound[fl.Name] && !cliOnly[fl.Name] {
			t.Errorf("render flag --%s is neither a parameter's nor in settings.CLIOnly", fl.Name)
		}
	})
}

// TestRenderFlagShapes: the flags whose shape differs from their parameter
// keep their behaviour (alias, negation, store kind, repeatable list).
func TestRenderFlagShapes(t *testing.T) {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var rf renderFlags
	rf.register(fs, "inputs")
	testenv.Must(t, fs.Parse([]string{"--credentials", "external-secret", "--external-secret-store", "vault", "--external-secret-store-kind", "SecretStore",
		"--no-node-agent", "--api-versions", "a/v1", "--api-versions", "b/v1,c/v1"}))
	p, err := rf.params()
	testenv.Must(t, err)
	velero, _ := settings.SpecFor(settings.ParamVeleroVersion)
	for param, want := range map[string]string{
		settings.ParamCredentials:         "externalSecret",
		settings.ParamExternalSecretStore: "SecretStore/vault",
		settings.ParamNodeAgent:           "false",
		settings.ParamAPIVersions:         "a/v1,b/v1,c/v1",
		settings.ParamVeleroVersion:       velero.Default,
	} {
		if got := p.Get(param); got != want {
			t.Errorf("%s = %q, want %q", param, got, want)
		}
	}
	if got := p.List(settings.ParamAPIVersions); len(got) != 2 {
		t.Errorf("--api-versions twice gives %q, want two values (each use is one value)", got)
	}
	if p.Source(settings.ParamNodeAgent) != "--no-node-agent" {
		t.Errorf("nodeAgent from %q", p.Source(settings.ParamNodeAgent))
	}
}

// TestSameRuleEverywhere: the same bad value gives the same rule text from
// the CLI flag (usage error, exit 2), the KRM functionConfig (exit 1) and
// the seed's render configuration (release.ParseSettings), each naming its
// own source.
func TestSameRuleEverywhere(t *testing.T) {
	for _, tc := range []struct{ param, value string }{
		{settings.ParamRegistry, "bad registry"},
		{settings.ParamOverlay, "nope"},
		{settings.ParamVeleroVersion, "v1.17.0"},
		{settings.ParamKubeVersion, "latest"},
		{settings.ParamCredentials, "vault"},
	} {
		t.Run(tc.param, func(t *testing.T) {
			flagName := "--" + settings.FlagName(tc.param)
			_, stderr, code := runCLI(t, "", nil, "render", flagName, tc.value)
			head := "parameter " + tc.param + "=" + strconv.Quote(tc.value) + " (from "
			cliHead := head + flagName + "): "
			i := strings.Index(stderr, cliHead)
			if code != 2 || i < 0 {
				t.Fatalf("render %s %q: exit %d, %s; want 2 and %q", flagName, tc.value, code, stderr, cliHead)
			}
			rule := strings.TrimSpace(strings.SplitN(stderr[i+len(cliHead):], "\n", 2)[0])

			yamlValue := strconv.Quote(tc.value)
			krm := strings.Replace(strings.Replace(krmInput, "PROJECT", "p1", 1),
				"  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: render\n  data:\n    cluster: c1\n",
				"  apiVersion: clusterbackup.io/v1alpha1\n  kind: RenderConfig\n  metadata:\n    name: render\n  spec:\n    "+tc.param+": "+yamlValue+"\n", 1)
			_, stderr, code = runCLI(t, krm, nil, "krm")
			if want := head + "functionConfig: spec." + tc.param + "): " + rule; code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("krm: exit %d, %s; want 1 and %q", code, stderr, want)
			}

			doc := "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec:\n  " + tc.param + ": " + yamlValue + "\n"
			_, err := release.ParseSettings("seed.yaml", []byte(doc))
			if want := head + "seed.yaml: spec." + tc.param + "): " + rule; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("release.ParseSettings: %v; want %q", err, want)
			}
		})
	}
}

// TestSettingsTable: docs/gitops.md's settings table has one row per
// parameter, in settings.Specs order, with its default, its CLI flag (or
// "none" for a GitOps-only one) and whether the release loop drives it.
func TestSettingsTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "gitops.md"))
	testenv.Must(t, err)
	var rows [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if cells := strings.Split(l, " | "); strings.HasPrefix(l, "| `") && len(cells) == 5 {
			rows = append(rows, cells)
		}
	}
	if len(rows) != len(settings.Specs) {
		t.Fatalf("docs/gitops.md: %d rows of five cells, want one per parameter (%d)", len(rows), len(settings.Specs))
	}
	for i, s := range settings.Specs {
		name, def, cli, loop := rows[i][0], rows[i][1], rows[i][2], rows[i][3]
		_, gitOpsOnly := settings.GitOpsOnlyFor(s.Name)
		flagName := settings.FlagName(s.Name)
		if shape := flagShapes[s.Name]; shape.name != "" {
			flagName = shape.name
		}
		wantDef := "—"
		if s.Default != "" {
			wantDef = "`" + s.Default + "`"
		}
		switch {
		case name != "| `"+s.Name+"`":
			t.Errorf("row %d is %s, want parameter %s", i, name, s.Name)
		case def != wantDef:
			t.Errorf("%s: default %s, want %s", s.Name, def, wantDef)
		case gitOpsOnly != strings.HasPrefix(cli, "none"):
			t.Errorf("%s: CLI flag %q, GitOps-only %v", s.Name, cli, gitOpsOnly)
		case !gitOpsOnly && !strings.HasPrefix(cli, "`--"+flagName+"`"):
			t.Errorf("%s: CLI flag %q, want `--%s`", s.Name, cli, flagName)
		case gitOpsOnly != strings.HasPrefix(loop, "driven by the seed"):
			t.Errorf("%s: release loop %q, GitOps-only %v", s.Name, loop, gitOpsOnly)
		}
	}
}
