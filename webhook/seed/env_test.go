package seed

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// logs captures every log line of the test process (controller-runtime's
// global logger), so tests can prove secrets never reach a log.
var logs *testenv.SyncBuffer

func TestMain(m *testing.M) {
	logs = testenv.CaptureLogs()
	os.Exit(m.Run())
}

// seedEnv is a real kube-apiserver with the seed webhooks registered and
// served by a controller-runtime manager running Setup, plus versitygw.
type seedEnv struct {
	k        *kubeenv.ControlPlane
	s3       *s3env.Server
	c        client.Client // a client that records admission warnings
	warnings *kubeenv.Warnings
	ns       string
}

// webhookConfigs are the seed's webhook registrations (Configurations)
// for envtest, which points the service at the local server.
func webhookConfigs() envtest.WebhookInstallOptions {
	m, v := Configurations(admissionregv1.WebhookClientConfig{Service: &admissionregv1.ServiceReference{Name: "clusterbackup-seed", Namespace: "kubermatic"}})
	return envtest.WebhookInstallOptions{
		MutatingWebhooks:   []*admissionregv1.MutatingWebhookConfiguration{m},
		ValidatingWebhooks: []*admissionregv1.ValidatingWebhookConfiguration{v},
	}
}

// startSeed starts the control plane, versitygw and a manager running Setup(o).
func startSeed(t *testing.T, o Options) *seedEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	k := kubeenv.Start(t, kubeenv.Options{Webhooks: webhookConfigs()})
	s := s3env.Start(t)
	wo := k.Env.WebhookInstallOptions
	mgr, err := manager.New(k.Config, manager.Options{
		Scheme:                 kubeenv.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          webhook.NewServer(webhook.Options{Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir}),
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Setup(mgr, o); err != nil {
		t.Fatal(err)
	}
	testenv.StartManager(ctx, t, cancel, mgr)
	testenv.WaitTLS(t, net.JoinHostPort(wo.LocalServingHost, fmt.Sprint(wo.LocalServingPort)))
	c, w := kubeenv.WarningClient(t, k.Config)
	e := &seedEnv{k: k, s3: s, c: c, warnings: w, ns: DefaultCBSLNamespace}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	return e
}

// secret creates a credential Secret in KKP's layout.
func (e *seedEnv) secret(t *testing.T, name, ak, sk string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Data: map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(ak), kkpv1.CredentialSecretAccessKey: []byte(sk)}}
	if err := e.c.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// cbsl returns a CBSL of project p1 on endpoint with the given bucket,
// relying on the mutating webhook for provider, accessMode and path style.
func (e *seedEnv) cbsl(name, endpoint, bucket, secret string) *kkpv1.ClusterBackupStorageLocation {
	return &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec: velerov1.BackupStorageLocationSpec{
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: "seed-eu"}},
			Config:      map[string]string{"region": s3env.Region, "s3Url": endpoint},
			Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}},
		},
	}
}

func cluster(name, project, cbsl string) *kkpv1.Cluster {
	return &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{kkpv1.ProjectIDLabel: project}},
		Spec: kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl}}}}
}

// allowLoopback is the tests' endpoint policy: versitygw and the proxies
// listen on 127.0.0.1, which the default policy denies.
func allowLoopback() s3check.Options {
	return s3check.Options{Policy: s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}}
}
