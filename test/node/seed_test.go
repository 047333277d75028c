package node

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

const (
	seedNS   = "kubermatic"
	seedName = "clusterbackup-seed"
)

// TestSeedWebhookAsDeployed: `clusterbackup webhook --mode seed` runs as a
// Deployment from the built image behind a Service (manifests made here: the
// chart renders no seed mode yet), and the API server calls it for CBSL
// creates: a CBSL on the reachable S3 server is admitted and the status loop
// marks it Available; one whose endpoint refuses connections is denied with
// the connect failure, within the check budget.
func TestSeedWebhookAsDeployed(t *testing.T) {
	ctx := context.Background()
	n := testenv.StartNode(t, testenv.NodeOptions{})
	c := n.Client
	dumpOnFailure(t, n)
	s3 := testenv.StartS3On(t, testenv.NodeIP)
	must(t, s3.CreateBucket(ctx, bucket))
	for _, f := range []string{"kubermatic.k8c.io_clusterbackupstoragelocations.yaml", "kubermatic.k8c.io_clusters.yaml"} {
		for _, o := range readObjects(t, testenv.RepoRoot()+"/api/v1/crds/"+f) {
			applyObject(t, c, o)
		}
	}
	deploySeedWebhook(t, n)
	figure(t, "2 seed webhook pods Ready after apply", waitPodsReady(t, c, seedNS, map[string]string{"app": seedName}, 2, 3*time.Minute))

	must(t, c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "backups-eu-credentials", Namespace: seedNS, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Data:       map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(s3.RootAccessKey), kkpv1.CredentialSecretAccessKey: []byte(s3.RootSecretKey)},
	}))
	// Shaped as KKP's dashboard writes it: key "cloud-credentials", which
	// the Secret (only the two KKP keys) does not hold.
	cbsl := func(name, endpoint string) *kkpv1.ClusterBackupStorageLocation {
		return &kkpv1.ClusterBackupStorageLocation{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: seedNS, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
			Spec: velerov1.BackupStorageLocationSpec{
				Provider:    "aws",
				StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: cbslPre}},
				Config:      map[string]string{"region": testenv.S3Region, "s3Url": endpoint, "s3ForcePathStyle": "true"},
				Credential:  &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "backups-eu-credentials"}, Key: "cloud-credentials"},
			},
		}
	}
	t0 := time.Now()
	must(t, createRetryingWebhookStart(ctx, c, cbsl("backups-eu", s3.Endpoint)))
	figure(t, "CBSL create admitted (S3 reachability check from the pod)", time.Since(t0))
	testenv.Eventually(t, 2*time.Minute, "CBSL backups-eu Available (status loop)", func() (bool, error) {
		var got kkpv1.ClusterBackupStorageLocation
		if err := c.Get(ctx, keyOf(seedNS, "backups-eu"), &got); err != nil {
			return false, err
		}
		return got.Status.Phase == velerov1.BackupStorageLocationPhaseAvailable, nil
	})
	closed, err := testenv.FreePort()
	must(t, err)
	t0 = time.Now()
	err = c.Create(ctx, cbsl("refused", "http://"+testenv.NodeIP+":"+itoa(closed)))
	took := time.Since(t0)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "connect") {
		t.Fatalf("a CBSL whose endpoint refuses connections: err = %v, want a denial naming the connect failure", err)
	}
	figure(t, "CBSL with a refusing endpoint denied", took)
}

// createRetryingWebhookStart creates obj, retrying while the webhook's
// endpoints are still being programmed.
func createRetryingWebhookStart(ctx context.Context, c client.Client, obj client.Object) error {
	var err error
	for range 40 {
		if err = c.Create(ctx, obj); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

// deploySeedWebhook creates the seed webhook's namespace, identity, serving
// certificate, Deployment (2 replicas of the built clusterbackup image, with
// the status loop), Service and webhook configurations.
func deploySeedWebhook(t *testing.T, n *testenv.Node) {
	t.Helper()
	ctx := context.Background()
	c := n.Client
	ca, crt, key, err := n.ServingCert("seed", seedName+"."+seedNS+".svc")
	must(t, err)
	labels := map[string]string{"app": seedName}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: seedNS}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: seedName, Namespace: seedNS}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: seedName}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{kkpv1.GroupVersion.Group}, Resources: []string{"clusterbackupstoragelocations", "clusters"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{kkpv1.GroupVersion.Group}, Resources: []string{"clusterbackupstoragelocations/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
		}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: seedName},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: seedName},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: seedName, Namespace: seedNS}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: seedName + "-tls", Namespace: seedNS}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": crt, "tls.key": key}},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: seedName, Namespace: seedNS},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						ServiceAccountName: seedName,
						SecurityContext:    &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
						Containers: []corev1.Container{{
							Name: "webhook", Image: n.Images["clusterbackup"].Ref, ImagePullPolicy: corev1.PullIfNotPresent,
							Args: []string{"webhook", "--mode=seed", "--port=9443", "--cert-dir=/certs", "--health-addr=:8081", "--metrics-addr=:8080",
								"--cbsl-check-budget=3s", "--cbsl-status-loop", "--cbsl-status-period=5s"},
							Ports:          []corev1.ContainerPort{{Name: "webhook", ContainerPort: 9443}},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(8081)}}, PeriodSeconds: 2},
							SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
								Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
							VolumeMounts: []corev1.VolumeMount{{Name: "certs", MountPath: "/certs", ReadOnly: true}},
						}},
						Volumes: []corev1.Volume{{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: seedName + "-tls"}}}},
					},
				},
			},
		},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: seedName, Namespace: seedNS},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "webhook", Port: 443, TargetPort: intstr.FromString("webhook")}}}},
	}
	fail, none := admissionregv1.Fail, admissionregv1.SideEffectClassNone
	svc := func(path string) admissionregv1.WebhookClientConfig {
		return admissionregv1.WebhookClientConfig{CABundle: ca, Service: &admissionregv1.ServiceReference{Name: seedName, Namespace: seedNS, Path: ptr.To(path)}}
	}
	rule := func(resource string, ops ...admissionregv1.OperationType) []admissionregv1.RuleWithOperations {
		return []admissionregv1.RuleWithOperations{{Operations: ops, Rule: admissionregv1.Rule{
			APIGroups: []string{kkpv1.GroupVersion.Group}, APIVersions: []string{"v1"}, Resources: []string{resource}}}}
	}
	objs = append(objs,
		&admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: seedName}, Webhooks: []admissionregv1.MutatingWebhook{{
			Name: "cbsl.mutate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](5), ClientConfig: svc(seed.MutateCBSLPath),
			Rules: rule("clusterbackupstoragelocations", admissionregv1.Create, admissionregv1.Update),
		}}},
		&admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: seedName}, Webhooks: []admissionregv1.ValidatingWebhook{{
			Name: "cbsl.validate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](10), ClientConfig: svc(seed.ValidateCBSLPath),
			Rules: rule("clusterbackupstoragelocations", admissionregv1.Create, admissionregv1.Update, admissionregv1.Delete),
		}, {
			Name: "cluster.validate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](5), ClientConfig: svc(seed.ValidateClusterPath),
			Rules: rule("clusters", admissionregv1.Create, admissionregv1.Update),
		}}},
	)
	for _, o := range objs {
		must(t, c.Create(ctx, o))
	}
}
