package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookOnlyBuild builds the webhook image's binary (`-tags
// webhookonly`) and checks it serves only webhook and version: the other
// commands' packages (Helm, kustomize, the renderer) stay out, which is what
// keeps the webhook's resident memory under its target.
func TestWebhookOnlyBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "clusterbackup-webhook")
	if out, err := exec.Command("go", "build", "-tags", "webhookonly", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags webhookonly: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "velero v1.18.3") {
		t.Fatalf("version: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "render").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown command "render"`) {
		t.Fatalf("render in the webhook-only build: err=%v\n%s", err, out)
	}
	deps, err := exec.Command("go", "list", "-tags", "webhookonly", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"helm.sh/helm/v3/pkg/action", "sigs.k8s.io/kustomize/api/krusty", "github.com/clusterbackup/clusterbackup/renderer"} {
		if strings.Contains(string(deps), heavy+"\n") {
			t.Errorf("the webhook-only build links %s", heavy)
		}
	}
}
