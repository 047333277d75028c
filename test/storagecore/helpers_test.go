package storagecore

import (
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"os"
	"strings"
	"testing"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// run runs the clusterbackup binary in dir with stdin and extra env.
func run(t *testing.T, dir, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.RunBinaryIn(t, dir, stdin, env, args...)
}

// markerFile makes a directory an Argo CD application of the plugin.
const markerFile = "apiVersion: clusterbackup.io/v1alpha1\nkind: RenderConfig\n"

// writeFleet writes objs with s3env.WriteObjects into <tmp>/fleet, and
// the broken CBSL, its Secret and cluster xkc6lgmfsn once more into <tmp>
// as cbsl.yaml, secret.yaml and cluster-xkc6lgmfsn.yaml for the commands
// that take one object per file. It returns both directories.
func writeFleet(t *testing.T, objs *input.Objects, cbsl *kkpv1.ClusterBackupStorageLocation, sec *corev1.Secret) (fleet, single string) {
	t.Helper()
	single = t.TempDir()
	fleet = s3env.WriteObjects(t, filepath.Join(single, "fleet"), objs)
	for name, obj := range map[string]any{"cbsl.yaml": cbsl, "secret.yaml": sec} {
		b, err := yaml.Marshal(obj)
		testenv.Must(t, err)
		testenv.Must(t, writeFile(filepath.Join(single, name), string(b)))
	}
	b, err := os.ReadFile(filepath.Join(fleet, "cluster-xkc6lgmfsn.yaml"))
	testenv.Must(t, err)
	testenv.Must(t, writeFile(filepath.Join(single, "cluster-xkc6lgmfsn.yaml"), string(b)))
	return fleet, single
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// resourceList builds a KRM ResourceList from files.
func resourceList(t *testing.T, dir string, files ...string) string {
	t.Helper()
	var items []string
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		testenv.Must(t, err)
		items = append(items, indent(string(b)))
	}
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + strings.Join(items, "")
}
