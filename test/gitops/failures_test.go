package gitopstest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestCMPFailures runs `cmp generate` in an Argo-CD-like environment with
// one thing broken each time: the exit status is non-zero, stdout is EMPTY
// (empty output with auto-prune would delete the release) and stderr says
// what is wrong.
func TestCMPFailures(t *testing.T) {
	apps := applicationsFromSet(t)
	app := apps["xkc6lgmfsn"]
	cases := map[string]struct {
		env    map[string]string // extra variables (full names)
		break_ func(t *testing.T, dir string)
		want   []string
	}{
		"bad parameter JSON": {
			env:  map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"cluster","string":"xkc6lgmfsn"`},
			want: []string{"ARGOCD_APP_PARAMETERS: invalid JSON"},
		},
		"parameter with two values": {
			env:  map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"overlay","string":"hardened","array":["x"]}]`},
			want: []string{`"overlay": give exactly one of string, array or map`},
		},
		"unknown parameter": {
			env:  map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"overlays","string":"hardened"}]`},
			want: []string{`unknown parameter "overlays"`, "known parameters:"},
		},
		"unknown overlay": {
			env:  map[string]string{"ARGOCD_ENV_OVERLAY": "nope"},
			want: []string{`parameter overlay="nope" (from ARGOCD_ENV_OVERLAY): unknown overlay; known overlays: air-gap, hardened`},
		},
		"incompatible Velero version": {
			env:  map[string]string{"PARAM_VELEROVERSION": "v1.17.0"},
			want: []string{`parameter veleroVersion="v1.17.0" (from PARAM_VELEROVERSION): must stay in v1.18.x`},
		},
		"node agent not a boolean": {
			env:  map[string]string{"ARGOCD_ENV_NODE_AGENT": "maybe"},
			want: []string{`parameter nodeAgent="maybe" (from ARGOCD_ENV_NODE_AGENT): must be true or false`},
		},
		"missing marker file": {
			break_: func(t *testing.T, dir string) { testenv.Must(t, os.Remove(filepath.Join(dir, "clusterbackup.yaml"))) },
			want:   []string{"no clusterbackup.yaml marker file in", "ARGOCD_APP_SOURCE_PATH=fleet"},
		},
		"marker file of another kind": {
			break_: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "clusterbackup.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"))
			},
			want: []string{`clusterbackup.yaml: kind "ConfigMap" of "v1" is not a render configuration`},
		},
		"unknown cluster": {
			env:  map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"cluster","string":"nosuchcluster"}]`},
			want: []string{`parameter cluster="nosuchcluster": no such Cluster among the inputs; clusters: m2vd8s5ptc, r7tqz9d2wk, xkc6lgmfsn`},
		},
		"cluster of another project": {
			break_: func(t *testing.T, dir string) {
				f := filepath.Join(dir, "cluster-xkc6lgmfsn.yaml")
				b, err := os.ReadFile(f)
				testenv.Must(t, err)
				writeFile(t, f, bytes.Replace(b, []byte("name: backups-eu"), []byte("name: team-b"), 1))
			},
			want: []string{`cluster-xkc6lgmfsn.yaml#1: Cluster "xkc6lgmfsn"`, `ClusterBackupStorageLocation kubermatic/team-b belongs to project "q4mh2x8vbn", not to the cluster's project "jnpllgp66z"`},
		},
		"input of an unknown kind": {
			break_: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "notes.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"))
			},
			want: []string{`notes.yaml#1: ConfigMap "notes": kind "ConfigMap" of "v1" is not an input`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			repo := argoRepo(t, app.Spec.Source.Path)
			dir := filepath.Join(repo, app.Spec.Source.Path)
			if tc.break_ != nil {
				tc.break_(t, dir)
			}
			env := argoEnv(t, app, nil)
			for k, v := range tc.env {
				env = append(env, k+"="+v) // the last definition wins
			}
			cmd := exec.Command(binary(), "cmp", "generate")
			cmd.Dir, cmd.Env = dir, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout must be empty on failure, got %d bytes:\n%.300s", stdout.Len(), stdout.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// TestKRMFailureInKustomize: a Cluster naming another project's storage
// fails `kustomize build` with the function's message, and the function
// itself answers with an error result and a non-zero exit.
func TestKRMFailureInKustomize(t *testing.T) {
	kustomize := testenv.MustTool(t, "kustomize")
	dir := copyKRMExample(t)
	f := filepath.Join(dir, "examples", "fleet", "cluster-xkc6lgmfsn.yaml")
	b, err := os.ReadFile(f)
	testenv.Must(t, err)
	writeFile(t, f, bytes.Replace(b, []byte("name: backups-eu"), []byte("name: team-b"), 1))

	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "--load-restrictor", "LoadRestrictionsNone", filepath.Join(dir, "examples", "krm"))
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("kustomize build succeeded:\n%.500s", stdout.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("kustomize printed objects on failure:\n%.300s", stdout.String())
	}
	if !strings.Contains(stderr.String(), `belongs to project "q4mh2x8vbn", not to the cluster's project "jnpllgp66z"`) {
		t.Errorf("stderr lacks the rule:\n%s", stderr.String())
	}
}
