package userclient

import (
	"math"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// TestOptionsDefaultAndValidate: Default fills the defaults and keeps what
// is set; Validate names every value that cannot work by its path; New
// refuses them.
func TestOptionsDefaultAndValidate(t *testing.T) {
	var got Options
	got.Default()
	want := Options{
		SecretName: DefaultSecretName, SecretKey: DefaultSecretKey, NamespacePrefix: DefaultNamespacePrefix,
		Timeout: duration.Of(DefaultTimeout), MaxBodyBytes: DefaultMaxBodyBytes, QPS: DefaultQPS, Burst: DefaultBurst, UserAgent: DefaultUserAgent,
	}
	if got != want {
		t.Fatalf("defaults %+v, want %+v", got, want)
	}
	if errs := got.Validate(nil); len(errs) > 0 {
		t.Fatalf("defaults refused: %v", errs)
	}
	set := Options{SecretName: "internal-admin-kubeconfig", SecretKey: "config", NamespacePrefix: "c-", Timeout: duration.Of(time.Second), MaxBodyBytes: 1, QPS: 0.5, Burst: 1, UserAgent: "x"}
	got = set
	if got.Default(); got != set {
		t.Fatalf("set options changed to %+v", got)
	}

	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"secret name":      {Options{SecretName: "Admin_Kubeconfig"}, "users.secretName"},
		"secret key":       {Options{SecretKey: "kube/config"}, "users.secretKey"},
		"namespace prefix": {Options{NamespacePrefix: "Cluster."}, "users.namespacePrefix"},
		"timeout":          {Options{Timeout: duration.Of(-time.Second)}, "users.timeout"},
		"max body bytes":   {Options{MaxBodyBytes: -1}, "users.maxBodyBytes"},
		"qps":              {Options{QPS: -1}, "users.qps"},
		"qps NaN":          {Options{QPS: float32(math.NaN())}, "users.qps"},
		"qps Inf":          {Options{QPS: float32(math.Inf(1))}, "users.qps"},
		"burst":            {Options{Burst: -1}, "users.burst"},
		"max clients":      {Options{MaxClients: -1}, "users.maxClients"},
	} {
		tc.o.Default()
		if errs := tc.o.Validate(field.NewPath("users")); len(errs) != 1 || errs[0].Field != tc.want {
			t.Errorf("%s: Validate = %v, want one error on %s", name, errs, tc.want)
		}
	}
	if _, err := New(nil, nil, Options{}); err == nil || !strings.Contains(err.Error(), "reader") {
		t.Errorf("New with a nil reader: err = %v", err)
	}
	if _, err := New(nil, nil, Options{Burst: -1}); err == nil || !strings.Contains(err.Error(), "burst") {
		t.Errorf("New with impossible options: err = %v", err)
	}
}
