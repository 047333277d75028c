// Package seedcluster starts a seed for the acceptance tests in test/: a real
// kube-apiserver and etcd (internal/testenv) with the seed webhooks
// registered (seed.Configurations) and served by our server in seed mode,
// and a real S3 server (versitygw).
package seedcluster

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// Seed is a seed's control plane with our seed webhooks in front.
type Seed struct {
	Kube *kubeenv.ControlPlane
	S3   *s3env.Server
	// Client is an admin client that records admission warnings.
	Client client.Client

	warnings *kubeenv.Warnings
}

// Warnings returns every admission warning Client received so far, one per
// line.
func (s *Seed) Warnings() string { return s.warnings.String() }

// Start starts the control plane, versitygw and our server in seed mode
// with o (the check may dial 127.0.0.1, where versitygw listens), and
// creates the CBSL namespace "kubermatic".
func Start(t testing.TB, o seed.Options) *Seed {
	t.Helper()
	mwc, vwc := seed.Configurations(admissionregv1.WebhookClientConfig{Service: &admissionregv1.ServiceReference{Name: "x", Namespace: "x"}})
	k := kubeenv.Start(t, kubeenv.Options{Webhooks: envtest.WebhookInstallOptions{
		MutatingWebhooks:   []*admissionregv1.MutatingWebhookConfiguration{mwc},
		ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{vwc},
	}})
	s := &Seed{Kube: k, S3: s3env.Start(t)}
	o.Check.Policy.Allow = append(o.Check.Policy.Allow, s3check.MustPrefixes("127.0.0.1/32")...)
	ctx, cancel := context.WithCancel(context.Background())
	wo := k.Env.WebhookInstallOptions
	mgr, err := server.New(ctx, k.Config, server.Options{
		Mode: server.ModeSeed, Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir,
		Serving: process.Serving{HealthAddr: "0", MetricsAddr: "0", ShutdownTimeout: duration.Of(time.Second)},
		Seed:    o, DrainPeriod: new(duration.Duration),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	testenv.StartManager(ctx, t, cancel, mgr)
	testenv.WaitTLS(t, net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(wo.LocalServingPort)))
	s.Client, s.warnings = kubeenv.WarningClient(t, k.Config)
	if err := s.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: seed.DefaultCBSLNamespace}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// StartControllers starts the seed's controllers process (package
// controllers) against this seed with o, as its own manager: the topology of
// the seed chart, where the loops run apart from the webhooks. The check may
// dial 127.0.0.1; health and metrics endpoints are off, and controller
// names need not be unique (several per test process). It stops when the
// test ends.
func (s *Seed) StartControllers(t testing.TB, o controllers.Options) {
	t.Helper()
	o.Check.Policy.Allow = append(o.Check.Policy.Allow, s3check.MustPrefixes("127.0.0.1/32")...)
	if o.HealthAddr == "" {
		o.HealthAddr = "0"
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = "0"
	}
	if o.ShutdownTimeout.Duration == 0 {
		o.ShutdownTimeout.Duration = time.Second
	}
	o.Controller.SkipNameValidation = ptr.To(true)
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := controllers.New(ctx, s.Kube.Config, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	testenv.StartManager(ctx, t, cancel, mgr)
}
