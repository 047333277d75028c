// Package server builds the controller-runtime manager that serves
// clusterbackup's admission webhooks: the TLS webhook server (certificates
// reloaded from CertDir on rotation), /healthz and /readyz, Prometheus
// metrics, an informer cache limited to what the rules read, and graceful
// shutdown that lets in-flight reviews finish.
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"sync/atomic"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// New builds the manager, registers the webhooks of o.Mode and the health
// checks. Start it with mgr.Start(ctx); cancelling ctx shuts it down. Call
// logf.SetLogger first: until a logger is set, controller-runtime keeps every
// per-review logger it hands out, and memory grows with each review.
func New(ctx context.Context, cfg *rest.Config, o Options) (manager.Manager, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	ws := &drainingServer{period: o.DrainPeriod.Duration, Server: webhook.NewServer(webhook.Options{
		Host: o.Host, Port: o.Port, CertDir: o.CertDir, ClientCAName: o.ClientCAName,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.MinVersion = tls.VersionTLS12
			if !o.EnableHTTP2 {
				c.NextProtos = []string{"http/1.1"}
			}
		}},
	})}
	mo := o.Serving.Manager()
	mo.WebhookServer, mo.Cache = ws, cacheOptions(o)
	mgr, err := manager.New(cfg, mo)
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	ready := mgr.GetWebhookServer().StartedChecker()
	if o.ClientCAName != "" {
		// The checker dials the webhook port without a client certificate,
		// which the server refuses (and logs) once client authentication
		// is on: dial until the first success only.
		ready = readyOnce(ready)
	}
	if err := mgr.AddReadyzCheck("webhook-server", ready); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("not-draining", ws.Ready); err != nil {
		return nil, err
	}
	switch o.Mode {
	case ModeUser:
		v := o.Velero
		err = user.Setup(ctx, mgr, &v)
	case ModeSeed:
		err = seed.Setup(mgr, o.Seed)
	}
	if err != nil {
		return nil, fmt.Errorf("set up %s webhooks: %w", o.Mode, err)
	}
	return mgr, nil
}

// cacheOptions limits the informer cache: in user mode BSLs are
// watched in Velero's namespace only, in seed mode Secrets and CBSLs in the
// CBSL namespace only; managed fields are always dropped.
func cacheOptions(o Options) cache.Options {
	co := cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
	switch o.Mode {
	case ModeUser:
		// Only BSLs are watched (user.InformerLookup keeps them, with
		// namespace names, in maps fed by the informers' events); Backups
		// are read live.
		co.ByObject = map[client.Object]cache.ByObject{
			&velerov1.BackupStorageLocation{}: {Namespaces: map[string]cache.Config{o.Velero.Namespace: {}}},
		}
	case ModeSeed:
		// Credential Secrets and CBSLs are only ever read in the CBSL
		// namespace, so namespaced RBAC there suffices (charts/clusterbackup-seed).
		ns := o.Seed.CBSLNamespace
		if ns == "" {
			ns = seed.DefaultCBSLNamespace
		}
		co.ByObject = map[client.Object]cache.ByObject{
			&corev1.Secret{}:                      {Namespaces: map[string]cache.Config{ns: {}}},
			&kkpv1.ClusterBackupStorageLocation{}: {Namespaces: map[string]cache.Config{ns: {}}},
		}
	}
	return co
}

// readyOnce returns a checker that calls check until it first succeeds and
// then always succeeds.
func readyOnce(check healthz.Checker) healthz.Checker {
	var ok atomic.Bool
	return func(req *http.Request) error {
		if ok.Load() {
			return nil
		}
		if err := check(req); err != nil {
			return err
		}
		ok.Store(true)
		return nil
	}
}
