package storage

import (
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

const testPEM = `-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw
DgYDVQQKEwdBY21lIENvMB4XDTE3MTAyMDE5NDMwNloXDTE4MTAyMDE5NDMwNlow
EjEQMA4GA1UEChMHQWNtZSBDbzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0d
7VNhbWvZLWPuj/RtHFjvtJBEwOkhbN/BnnE8rnZR8+sbwnc/KhCk3FhnpHZnQz7B
5aETbbIgmuvewdjvSBSjYzBhMA4GA1UdDwEB/wQEAwICpDATBgNVHSUEDDAKBggr
BgEFBQcDATAPBgNVHRMBAf8EBTADAQH/MCkGA1UdEQQiMCCCDmxvY2FsaG9zdDo1
NDUzgg4xMjcuMC4wLjE6NTQ1MzAKBggqhkjOPQQDAgNIADBFAiEA2zpJEPQyz6/l
Wf86aX6PepsntZv2GYlA5UpabfT2EZICICpJ5h/iI+i341gBmLiAFQOyTDT+/wQc
6MF9+Yw1Yy0t
-----END CERTIFICATE-----
`

func TestValidateCBSL(t *testing.T) {
	spec := field.NewPath("spec")
	cfg := spec.Child("config")
	os := spec.Child("objectStorage")
	cases := map[string]struct {
		mod  func(*kkpv1.ClusterBackupStorageLocation)
		want field.ErrorList
	}{
		"valid":             {func(*kkpv1.ClusterBackupStorageLocation) {}, nil},
		"velero.io/aws":     {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Provider = "velero.io/aws" }, nil},
		"AWS without s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config = map[string]string{} }, nil},
		"caCert PEM":        {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.CACert = []byte(testPEM) }, nil},
		"all known config keys": {func(c *kkpv1.ClusterBackupStorageLocation) {
			c.Spec.Config["tagging"] = "a=b"
			c.Spec.Config["kmsKeyId"] = "k"
		}, nil},
		"gcp provider": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Provider = "gcp" },
			field.ErrorList{field.NotSupported(spec.Child("provider"), "gcp", []string{"aws"})}},
		"no project label": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Labels = nil },
			field.ErrorList{field.Required(field.NewPath("metadata", "labels").Key("project-id"), "")}},
		"slash in bucket": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.Bucket = "backups/seed" },
			field.ErrorList{field.Invalid(os.Child("bucket"), "backups/seed", "")}},
		"uppercase bucket": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.Bucket = "Backups" },
			field.ErrorList{field.Invalid(os.Child("bucket"), "Backups", "")}},
		"ip bucket": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.Bucket = "192.168.5.4" },
			field.ErrorList{field.Invalid(os.Child("bucket"), "192.168.5.4", "")}},
		"short bucket": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.Bucket = "ab" },
			field.ErrorList{field.Invalid(os.Child("bucket"), "ab", "")}},
		"no objectStorage": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage = nil },
			field.ErrorList{field.Required(os, "")}},
		"dotdot prefix": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.Prefix = "a/../b" },
			field.ErrorList{field.Invalid(os.Child("prefix"), "a/../b", "")}},
		"ftp s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "ftp://s3.example.com" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "ftp://s3.example.com", "")}},
		"relative s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "s3.example.com" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "s3.example.com", ""), field.Invalid(cfg.Key("s3Url"), "s3.example.com", "")}},
		"userinfo s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "https://ak:sk@s3.example.com" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://REDACTED@s3.example.com", "")}},
		"query s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "https://s3.example.com/?x=1" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://s3.example.com/?x=1", "")}},
		"fragment s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "https://s3.example.com/#x" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://s3.example.com/#x", "")}},
		"s3Url port beyond 65535": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "https://s3.example.com:65536" },
			field.ErrorList{field.Invalid(cfg.Key("s3Url"), "https://s3.example.com:65536", "")}},
		"s3Url port with leading zeros": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3Url"] = "https://s3.example.com:0443" }, nil},
		"no region with s3Url": {func(c *kkpv1.ClusterBackupStorageLocation) { delete(c.Spec.Config, "region") },
			field.ErrorList{field.Required(cfg.Key("region"), "")}},
		"region with a slash": {func(c *kkpv1.ClusterBackupStorageLocation) {
			c.Spec.Config = map[string]string{"region": "evil.example.com/"}
		},
			field.ErrorList{field.Invalid(cfg.Key("region"), "evil.example.com/", "")}},
		"profile that ends its section line": {func(c *kkpv1.ClusterBackupStorageLocation) {
			c.Spec.Config["profile"] = "p]\ncredential_process=/bin/sh -c id\n[x"
		},
			field.ErrorList{field.Invalid(cfg.Key("profile"), "p]\ncredential_process=/bin/sh -c id\n[x", "")}},
		"unknown config key": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["endpoint"] = "x" },
			field.ErrorList{field.Invalid(cfg.Key("endpoint"), "endpoint", "")}},
		"bad bool": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["s3ForcePathStyle"] = "yes please" },
			field.ErrorList{field.Invalid(cfg.Key("s3ForcePathStyle"), "yes please", "")}},
		"bad checksum": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Config["checksumAlgorithm"] = "MD4" },
			field.ErrorList{field.NotSupported(cfg.Key("checksumAlgorithm"), "MD4", []string(nil))}},
		"caCert not PEM": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.ObjectStorage.CACert = []byte("hello") },
			field.ErrorList{field.Invalid(os.Child("caCert"), "<data>", "")}},
		"caCert private key": {func(c *kkpv1.ClusterBackupStorageLocation) {
			c.Spec.ObjectStorage.CACert = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		}, field.ErrorList{field.Invalid(os.Child("caCert"), "<data>", "")}},
		"no credential": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.Credential = nil },
			field.ErrorList{field.Required(spec.Child("credential"), "")}},
		"bad accessMode": {func(c *kkpv1.ClusterBackupStorageLocation) { c.Spec.AccessMode = "WriteOnly" },
			field.ErrorList{field.NotSupported(spec.Child("accessMode"), "WriteOnly", []string(nil))}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fixtures.GoodCBSL()
			tc.mod(c)
			got, _ := ValidateCBSL(c, nil)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i].Type != tc.want[i].Type || got[i].Field != tc.want[i].Field || got[i].BadValue != tc.want[i].BadValue && tc.want[i].BadValue != nil {
					t.Errorf("error %d = %v, want type %s field %s value %v", i, got[i], tc.want[i].Type, tc.want[i].Field, tc.want[i].BadValue)
				}
			}
		})
	}
}

func TestUnknownConfigKeyListsKnownKeys(t *testing.T) {
	c := fixtures.GoodCBSL()
	c.Spec.Config["s3URL"] = "https://typo.example.com"
	errs, _ := ValidateCBSL(c, nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "the AWS plugin knows only: bucket, caCert, checksumAlgorithm") || !strings.Contains(errs[0].Error(), "s3Url") {
		t.Fatalf("errs = %v", errs)
	}
}

func TestWarnings(t *testing.T) {
	c := fixtures.GoodCBSL()
	c.Spec.Config["insecureSkipTLSVerify"] = "true"
	c.Spec.Default = true
	errs, warnings := ValidateCBSL(c, nil)
	if len(errs) != 0 || len(warnings) != 2 {
		t.Fatalf("errs=%v warnings=%q", errs, warnings)
	}
}

func TestDefaultCBSL(t *testing.T) {
	c := fixtures.GoodCBSL()
	c.Spec.Provider = ""
	DefaultCBSL(c)
	if c.Spec.Provider != "aws" || c.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadWrite || c.Spec.Config["s3ForcePathStyle"] != "true" {
		t.Fatalf("defaults not applied: %+v", c.Spec)
	}
	c = fixtures.GoodCBSL()
	c.Spec.Config["s3ForcePathStyle"] = "false"
	c.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
	DefaultCBSL(c)
	if c.Spec.Config["s3ForcePathStyle"] != "false" || c.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadOnly {
		t.Fatalf("user values overwritten: %+v", c.Spec)
	}
	c = fixtures.GoodCBSL()
	c.Spec.Config = nil
	DefaultCBSL(c) // no s3Url: no path style, no panic on a nil map
	if c.Spec.Config != nil {
		t.Fatalf("config = %v", c.Spec.Config)
	}
}

func TestValidateCluster(t *testing.T) {
	cl := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: "loc"}}}}
	if errs := ValidateCluster(cl, fixtures.GoodCBSL(), "kubermatic"); len(errs) != 0 {
		t.Fatalf("same project: %v", errs)
	}
	if errs := ValidateCluster(cl, nil, "kubermatic"); len(errs) != 1 || errs[0].Type != field.ErrorTypeNotFound || !strings.Contains(errs[0].Error(), "kubermatic/loc") {
		t.Fatalf("missing: %v", errs)
	}
	other := fixtures.GoodCBSL()
	other.Labels[kkpv1.ProjectIDLabel] = "p2"
	if errs := ValidateCluster(cl, other, "kubermatic"); len(errs) != 1 || !strings.Contains(errs[0].Error(), `belongs to project "p2"`) {
		t.Fatalf("cross-project: %v", errs)
	}
	bad := cl.DeepCopy()
	bad.Labels[kkpv1.ProjectIDLabel] = "../p2"
	bad.Spec.BackupConfig = nil
	if errs := ValidateCluster(bad, nil, "kubermatic"); len(errs) != 2 {
		t.Fatalf("bad project and no reference: %v", errs)
	}
}

// TestAreasNest: CBSLs of several projects may share bucket and prefix
// (each project's clusters live below prefix/project), but no project's area
// may lie inside another's, whatever the endpoint's spelling.
func TestAreasNest(t *testing.T) {
	cbsl := func(project, pfx, endpoint string) *kkpv1.ClusterBackupStorageLocation {
		c := fixtures.GoodCBSL()
		c.Labels[kkpv1.ProjectIDLabel] = project
		c.Spec.ObjectStorage.Prefix = pfx
		c.Spec.Config["s3Url"] = endpoint
		return c
	}
	const ep = "https://s3.example.com"
	for _, tc := range []struct {
		a, b *kkpv1.ClusterBackupStorageLocation
		nest bool
	}{
		{cbsl("p1", "seed-eu", ep), cbsl("p2", "seed-eu", ep), false},
		{cbsl("p1", "seed-eu", ep), cbsl("p1", "seed-eu", ep), false},
		{cbsl("p1", "seed-eu", ep), cbsl("p2", "seed-eu/p1/c1", ep), true},
		{cbsl("p1", "seed-eu", ep), cbsl("p2", "seed-eu/p1/c1", "https://S3.example.com.:443/"), true},
		{cbsl("p1", "seed-eu", ep), cbsl("p2", "seed-eu/p1/c1", "https://other.example.com"), false},
		{cbsl("p1", "seed-eu/p2", ep), cbsl("p2", "seed-eu", ep), true},
		{cbsl("seed-eu", "", ep), cbsl("p2", "seed-eu", ep), true},
		{cbsl("p1", "a", ep), cbsl("p1", "a/p1/c1", ep), true},
	} {
		if got := AreasNest(tc.a, tc.b); got != tc.nest {
			t.Errorf("AreasNest(%s, %s) = %v; want %v", ProjectArea(tc.a), ProjectArea(tc.b), got, tc.nest)
		}
		if got := AreasNest(tc.b, tc.a); got != tc.nest {
			t.Errorf("AreasNest(%s, %s) = %v; want %v", ProjectArea(tc.b), ProjectArea(tc.a), got, tc.nest)
		}
	}
}
