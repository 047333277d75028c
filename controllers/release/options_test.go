package release

import (
	"flag"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// TestOptions: flags bound to defaulted options, the exclude selector
// parsed by Default, and each broken setting named by its path.
func TestOptions(t *testing.T) {
	var o Options
	o.Default()
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	o.AddFlags(fs)
	testenv.Must(t, fs.Parse([]string{"--release-loop", "--release-render-config=/etc/cb/seed.yaml", "--release-exclude-selector=clusterbackup.io/release=manual", "--release-resync-period=90s", "--release-workers=8"}))
	o.StateNamespace = "kkp"
	o.Default()
	if errs := o.Validate(nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	if !o.Enabled || o.RenderConfig != "/etc/cb/seed.yaml" || o.FieldManager != DefaultFieldManager || o.ResyncPeriod.Duration != 90*time.Second ||
		o.Workers != 8 || o.VeleroNamespace != DefaultVeleroNamespace || o.StateNamespace != "kkp" || o.ControllerName != ControllerName || o.CRDTimeout.Duration != DefaultCRDTimeout {
		t.Fatalf("defaulted options %+v", o)
	}
	if !o.excluded(map[string]string{"clusterbackup.io/release": "manual"}) || o.excluded(map[string]string{"project-id": "p"}) {
		t.Fatal("the exclude selector does not select as written")
	}
	var d Options
	if d.Default(); d.excluded(map[string]string{"a": "b"}) || d.StateNamespace != DefaultStateNamespace {
		t.Fatalf("defaults: %+v", d)
	}
	for name, bad := range map[string]struct {
		o    Options
		path string
	}{
		"selector": {Options{ExcludeSelector: "a in (b"}, "excludeSelector"},
		"resync":   {Options{ResyncPeriod: duration.Of(time.Millisecond)}, "resyncPeriod"},
		"workers":  {Options{Workers: -1}, "workers"},
		"crd":      {Options{CRDTimeout: duration.Of(-time.Second)}, "crdTimeout"},
	} {
		bad.o.Default()
		if errs := bad.o.Validate(nil); len(errs) != 1 || errs[0].Field != bad.path {
			t.Errorf("%s: Validate = %v, want one error on %s", name, errs, bad.path)
		}
		if bad.o.excluded(map[string]string{"a": "b"}) {
			t.Errorf("%s: a selector that does not parse excludes", name)
		}
	}
}
