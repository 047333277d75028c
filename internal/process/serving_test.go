package process_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/process"
)

// config is a command's typed configuration as both commands shape theirs:
// Serving embedded, its fields at the top level of the file.
type config struct {
	Mode string `json:"mode,omitempty"`
	process.Serving
}

// TestServingInConfigFile: the embedded fields read from the top level of a
// configuration file, unset ones take the defaults, the flags show the
// defaulted values, and a negative timeout is named by its file path.
func TestServingInConfigFile(t *testing.T) {
	var c config
	if err := yaml.UnmarshalStrict([]byte("mode: seed\nhealthAddr: \"0\"\nshutdownTimeout: 10s\n"), &c); err != nil {
		t.Fatal(err)
	}
	c.Default()
	want := process.Serving{HealthAddr: process.Off, MetricsAddr: process.DefaultMetricsAddr}
	want.ShutdownTimeout.Duration = 10 * time.Second
	if c.Serving != want {
		t.Errorf("read %+v, want %+v", c.Serving, want)
	}
	if got := process.BindAddress(c.HealthAddr); got != "" {
		t.Errorf("BindAddress(%q) = %q, want \"\" (off for controller-runtime)", c.HealthAddr, got)
	}

	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.AddFlags(fs, "the work")
	if f := fs.Lookup("metrics-addr"); f == nil || f.DefValue != process.DefaultMetricsAddr {
		t.Errorf("--metrics-addr default: %+v", f)
	}
	if f := fs.Lookup("shutdown-timeout"); f == nil || f.DefValue != "10s" || !strings.Contains(f.Usage, "the work") {
		t.Errorf("--shutdown-timeout: %+v", f)
	}

	c.ShutdownTimeout.Duration = -time.Second
	errs := c.Validate(nil)
	if len(errs) != 1 || errs[0].Field != "shutdownTimeout" {
		t.Errorf("Validate = %v, want one error on shutdownTimeout", errs)
	}
}
