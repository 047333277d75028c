package testenv

import (
	"os"
	"path/filepath"
	"regexp"
)

// ArtifactsDir returns $ARTIFACTS/<test> when ARTIFACTS is set (created),
// else a directory that outlives the test under os.TempDir().
func ArtifactsDir(t interface {
	TB
	Name() string
}) string {
	t.Helper()
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	base := os.Getenv("ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "clusterbackup-artifacts")
	}
	d := filepath.Join(base, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
