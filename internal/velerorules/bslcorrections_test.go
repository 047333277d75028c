package velerorules

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

func TestBSLCorrections(t *testing.T) {
	long := strings.Repeat("n", 200)
	tests := map[string]struct {
		obj  *velerov1.BackupStorageLocation
		want []string
	}{
		"the managed BSL as rendered": {obj: managedBSL()},
		"empty fields are filled silently": {obj: func() *velerov1.BackupStorageLocation {
			b := fixtures.BSL("default", "", "", "", fixtures.Default)
			b.Spec.ObjectStorage, b.Spec.Config = nil, nil
			return b
		}()},
		"default false is set to true": {
			obj:  fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1"),
			want: []string{`spec.default set to true: the managed BSL "default" is always this cluster's default`},
		},
		"trailing slash removed": {
			obj:  fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1/", fixtures.Default),
			want: []string{`spec.objectStorage.prefix of the managed BSL "default": the trailing "/" was removed`},
		},
		"other BSLs are not corrected": {obj: fixtures.BSL("mine", "b", "", "x/")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := BSLCorrections(testConfig(), tc.obj)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("warnings %q, want %q", got, tc.want)
			}
		})
	}
	cfg := testConfig()
	cfg.ManagedBSLName = long
	w := BSLCorrections(cfg, fixtures.BSL(long, "backups", "", "p/"))
	if len(w) != 2 {
		t.Fatalf("want two warnings, got %q", w)
	}
	for _, s := range w {
		if len(s) > MaxWarningLength || !strings.Contains(s, `nnn..."`) {
			t.Errorf("warning %q: want at most %d bytes with the name shortened", s, MaxWarningLength)
		}
	}
}
