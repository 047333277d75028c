package drill_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	"github.com/clusterbackup/clusterbackup/controllers/drill"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// TestOptionsAndSigningKey: defaults, refused options, and a signing key
// file read without its content ever reaching an error.
func TestOptionsAndSigningKey(t *testing.T) {
	var o drill.Options
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 || o.Interval.Duration != 24*time.Hour || o.MaxConcurrent != 2 || o.Timeout.Duration != 30*time.Minute || o.Among != 1 || o.VeleroNamespace != "velero" {
		t.Fatalf("defaults %+v, %v", o, errs)
	}
	for name, bad := range map[string]struct {
		o    drill.Options
		path string
	}{
		"enabled without a key": {drill.Options{Enabled: true}, "signingKeyFile"},
		"interval under 1m":     {drill.Options{Interval: duration.Of(time.Second)}, "interval"},
		"negative cap":          {drill.Options{MaxConcurrent: -1}, "maxConcurrent"},
	} {
		bad.o.Default()
		if errs := bad.o.Validate(nil); len(errs) != 1 || errs[0].Field != bad.path {
			t.Errorf("%s: Validate = %v, want one error on %s", name, errs, bad.path)
		}
		if _, err := drill.NewRunner(bad.o, nil); err == nil || !strings.Contains(err.Error(), bad.path) {
			t.Errorf("%s: NewRunner = %v, want an error naming %s", name, err, bad.path)
		}
	}
	dir := t.TempDir()
	priv, pub, err := core.GenerateKey()
	testenv.Must(t, err)
	good, wrong := filepath.Join(dir, "drill.key"), filepath.Join(dir, "drill.pub")
	testenv.Must(t, os.WriteFile(good, priv, 0o600))
	testenv.Must(t, os.WriteFile(wrong, pub, 0o600))
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
