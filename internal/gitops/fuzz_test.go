package gitops

import (
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// FuzzArgoCDSettings feeds arbitrary ARGOCD_APP_PARAMETERS, plugin env and
// marker files to the plugin's settings: never a panic, and whatever is
// accepted maps to options the renderer accepts (a known overlay, versions
// in the pinned minor releases, a known credentials mode).
func FuzzArgoCDSettings(f *testing.F) {
	f.Add(`[{"name":"cluster","string":"c1"},{"name":"apiVersions","array":["a/v1"]}]`, "hardened", "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\nspec: {nodeAgent: false}\n")
	f.Add(`[{"name":"veleroVersion","string":"v1.18.9"}]`, "", "apiVersion: v1\nkind: ConfigMap\n")
	f.Add(`[{"name":"kubeVersion","string":"1.37+"}]`, "air-gap", "")
	f.Fuzz(func(t *testing.T, params, overlay, marker string) {
		var p settings.Params
		getenv := func(k string) string {
			switch k {
			case EnvAppParameters:
				return params
			case "ARGOCD_ENV_OVERLAY":
				return overlay
			}
			return ""
		}
		if err := p.ApplyConfig("m", []byte(marker), true); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := ApplyArgoCDApp(&p, getenv); err != nil {
			if !strings.Contains(err.Error(), "ARGOCD_") {
				t.Fatalf("error does not name its source: %v", err)
			}
			return
		}
		o, err := p.Options()
		if err != nil {
			return
		}
		if o.Overlay != "" {
			known := false
			for _, n := range renderer.Overlays() {
				known = known || n == o.Overlay
			}
			if !known {
				t.Fatalf("accepted overlay %q", o.Overlay)
			}
		}
		if o.VeleroTag != "" && minor(o.VeleroTag) != minor(versions.Velero) || o.PluginTag != "" && minor(o.PluginTag) != minor(versions.VeleroPluginForAWS) {
			t.Fatalf("accepted tags %q %q", o.VeleroTag, o.PluginTag)
		}
		if o.Credentials != "" && o.Credentials != renderer.CredentialsInline {
			t.Fatalf("accepted credentials %q", o.Credentials)
		}
		o.Single = true
		if _, err := renderer.New(o); err != nil && !strings.Contains(err.Error(), "kube") {
			t.Fatalf("accepted options the renderer refuses: %+v: %v", o, err)
		}
	})
}

// minor returns "vX.Y" of a "vX.Y.Z" tag.
func minor(tag string) string {
	if i := strings.LastIndexByte(tag, '.'); i > 0 {
		return tag[:i]
	}
	return tag
}
