package settings

import "testing"

func TestFlagName(t *testing.T) {
	for param, want := range map[string]string{
		ParamOverlay:             "overlay",
		ParamVeleroVersion:       "velero-version",
		ParamAPIVersions:         "api-versions",
		ParamExternalSecretStore: "external-secret-store",
		ParamCredentialsSecret:   "credentials-secret",
	} {
		if got := FlagName(param); got != want {
			t.Errorf("FlagName(%q) = %q, want %q", param, got, want)
		}
	}
}

// TestScopeLists: every GitOps-only entry is a parameter with both reasons,
// and no CLI-only flag is the flag of a parameter.
func TestScopeLists(t *testing.T) {
	for _, g := range GitOpsOnly {
		if _, ok := SpecFor(g.Name); !ok || g.CLI == "" || g.ReleaseLoop == "" {
			t.Errorf("GitOpsOnly %+v: not a parameter, or a reason missing", g)
		}
	}
	flags := map[string]string{}
	for _, s := range Specs {
		flags[FlagName(s.Name)] = s.Name
	}
	for _, c := range CLIOnly {
		if p, ok := flags[c.Flag]; ok || c.Why == "" {
			t.Errorf("CLIOnly %+v: the flag of parameter %q, or no reason", c, p)
		}
	}
}
