package userclient

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestOptionsComplete(t *testing.T) {
	got, err := Options{}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		SecretName: DefaultSecretName, SecretKey: DefaultSecretKey, NamespacePrefix: DefaultNamespacePrefix,
		Timeout: DefaultTimeout, MaxBodyBytes: DefaultMaxBodyBytes, QPS: DefaultQPS, Burst: DefaultBurst, UserAgent: DefaultUserAgent,
	}
	if got != want {
		t.Fatalf("defaults %+v, want %+v", got, want)
	}
	set := Options{SecretName: "internal-admin-kubeconfig", SecretKey: "config", NamespacePrefix: "c-", Timeout: time.Second, MaxBodyBytes: 1, QPS: 0.5, Burst: 1, UserAgent: "x"}
	if got, err := set.Complete(); err != nil || got != set {
		t.Fatalf("set options changed to %+v (%v)", got, err)
	}

	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"secret name":      {Options{SecretName: "Admin_Kubeconfig"}, "secret name"},
		"secret key":       {Options{SecretKey: "kube/config"}, "secret key"},
		"namespace prefix": {Options{NamespacePrefix: "Cluster."}, "namespace prefix"},
		"timeout":          {Options{Timeout: -time.Second}, "timeout"},
		"max body bytes":   {Options{MaxBodyBytes: -1}, "max body bytes"},
		"qps":              {Options{QPS: -1}, "qps"},
		"qps NaN":          {Options{QPS: float32(math.NaN())}, "qps"},
		"qps Inf":          {Options{QPS: float32(math.Inf(1))}, "qps"},
		"burst":            {Options{Burst: -1}, "burst"},
		"max clients":      {Options{MaxClients: -1}, "max clients"},
	} {
		if _, err := tc.o.Complete(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %q", name, err, tc.want)
		}
	}
	if _, err := New(nil, nil, Options{}); err == nil || !strings.Contains(err.Error(), "reader") {
		t.Errorf("New with a nil reader: err = %v", err)
	}
	if _, err := New(nil, nil, Options{Burst: -1}); err == nil || !strings.Contains(err.Error(), "burst") {
		t.Errorf("New with impossible options: err = %v", err)
	}
}
