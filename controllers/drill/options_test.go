package drill_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/controllers/drill"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// TestOptionsAndSigningKey: defaults, refused options, and a signing key
// file read without its content ever reaching an error.
func TestOptionsAndSigningKey(t *testing.T) {
	o, err := drill.Options{}.Complete()
	if err != nil || o.Interval != 24*time.Hour || o.MaxConcurrent != 2 || o.Timeout != 30*time.Minute || o.Among != 1 || o.VeleroNamespace != "velero" {
		t.Fatalf("defaults %+v, %v", o, err)
	}
	for name, bad := range map[string]drill.Options{
		"enabled without a key": {Enabled: true},
		"interval under 1m":     {Interval: time.Second},
		"negative cap":          {MaxConcurrent: -1},
	} {
		if _, err := bad.Complete(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dir := t.TempDir()
	priv, pub, err := core.GenerateKey()
	must(t, err)
	good, wrong := filepath.Join(dir, "drill.key"), filepath.Join(dir, "drill.pub")
	must(t, os.WriteFile(good, priv, 0o600))
	must(t, os.WriteFile(wrong, pub, 0o600))
	o.SigningKeyFile = good
	r, err := drill.NewRunner(o, s3check.New(s3check.Options{}))
	if err != nil || len(r.Key) == 0 {
		t.Fatalf("good key: %v", err)
	}
	o.SigningKeyFile = wrong
	if _, err := drill.NewRunner(o, nil); err == nil || !strings.Contains(err.Error(), "drill.pub") || strings.Contains(err.Error(), string(pub[27:60])) {
		t.Fatalf("a public key as signing key: %v", err)
	}
	o.SigningKeyFile = filepath.Join(dir, "missing")
	if _, err := drill.NewRunner(o, nil); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}
