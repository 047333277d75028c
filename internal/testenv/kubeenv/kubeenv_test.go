package kubeenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// TestKubeAPIServerCallsWebhookOverTLS proves the whole chain: the real
// kube-apiserver sends an AdmissionReview over TLS to a handler served by
// controller-runtime, and that handler's answer decides the API call.
func TestKubeAPIServerCallsWebhookOverTLS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	path := "/validate-prefix"
	k := kubeenv.Start(t, kubeenv.Options{Webhooks: envtest.WebhookInstallOptions{
		ValidatingWebhooks: []*admissionv1.ValidatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: "prefix"},
			Webhooks: []admissionv1.ValidatingWebhook{{
				Name:                    "prefix.clusterbackup.io",
				AdmissionReviewVersions: []string{"v1"},
				SideEffects:             &none,
				FailurePolicy:           &fail,
				TimeoutSeconds:          ptr.To[int32](5),
				ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Name: "x", Namespace: "x", Path: &path}},
				Rules: []admissionv1.RuleWithOperations{{
					Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule:       admissionv1.Rule{APIGroups: []string{"velero.io"}, APIVersions: []string{"v1"}, Resources: []string{"backupstoragelocations"}},
				}},
			}},
		}},
	}})
	wo := k.Env.WebhookInstallOptions
	srv := webhook.NewServer(webhook.Options{Host: wo.LocalServingHost, Port: wo.LocalServingPort, CertDir: wo.LocalServingCertDir})
	calls := 0
	srv.Register(path, &webhook.Admission{Handler: admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		calls++
		var bsl velerov1.BackupStorageLocation
		if err := json.Unmarshal(req.Object.Raw, &bsl); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if errs := prefix.Validate(bsl.Spec.ObjectStorage.Prefix, field.NewPath("spec", "objectStorage", "prefix")); len(errs) > 0 {
			return admission.Denied(errs.ToAggregate().Error())
		}
		return admission.Allowed("")
	})})
	go func() { _ = srv.Start(ctx) }()
	waitTLS(t, srv)

	ns := "velero"
	if err := k.Client.Create(ctx, namespace(ns)); err != nil {
		t.Fatal(err)
	}
	good := fixtures.BSL("good", "b", "", "p1/c1", fixtures.Namespace(ns), fixtures.Region(""))
	if err := k.Client.Create(ctx, good); err != nil {
		t.Fatalf("create BSL with a clean prefix: %v", err)
	}
	bad := fixtures.BSL("bad", "b", "", "p1/c1/../../p2/c2", fixtures.Namespace(ns), fixtures.Region(""))
	err := k.Client.Create(ctx, bad)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `segment 3 is ".."`) {
		t.Fatalf("create BSL escaping its prefix: err = %v, want a denial naming the '..' segment", err)
	}
	if calls < 2 {
		t.Fatalf("webhook saw %d calls, want at least 2", calls)
	}
}

// TestCBSLRoundTripWithPrinterColumns installs our CRD, stores a CBSL and
// reads it back as kubectl would, as a Table with our printer columns.
func TestCBSLRoundTripWithPrinterColumns(t *testing.T) {
	ctx := context.Background()
	k := kubeenv.Start(t, kubeenv.Options{})
	if err := k.Client.Create(ctx, namespace("kubermatic")); err != nil {
		t.Fatal(err)
	}
	cbsl := &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "test-cbsl-1", Namespace: "kubermatic", Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: "backups", Prefix: "kkp"}},
			Config:      map[string]string{"region": "us-east-1", "s3Url": "https://s3.example.com"},
		},
	}
	if err := k.Client.Create(ctx, cbsl); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	cbsl.Status = velerov1.BackupStorageLocationStatus{Phase: velerov1.BackupStorageLocationPhaseAvailable, LastValidationTime: &now}
	if err := k.Client.Status().Update(ctx, cbsl); err != nil {
		t.Fatalf("status subresource: %v", err)
	}
	var back kkpv1.ClusterBackupStorageLocation
	if err := k.Client.Get(ctx, client(cbsl), &back); err != nil {
		t.Fatal(err)
	}
	if back.Spec.ObjectStorage.Bucket != "backups" || back.Status.Phase != velerov1.BackupStorageLocationPhaseAvailable {
		t.Fatalf("round trip lost data: %+v", back)
	}

	// kubectl get cbsl asks for a Table.
	rc, err := restClient(k)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rc.Get().AbsPath("/apis/kubermatic.k8c.io/v1/namespaces/kubermatic/clusterbackupstoragelocations").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range table.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if got, want := strings.Join(cols, ","), "Name,Phase,Bucket,Prefix,Last Validated,Age"; got != want {
		t.Fatalf("columns = %s, want %s", got, want)
	}
	if len(table.Rows) != 1 || fmt.Sprint(table.Rows[0].Cells[1:4]) != "[Available backups kkp]" {
		t.Fatalf("rows = %v", table.Rows)
	}
	// The short name resolves through discovery.
	dc, err := discoveryClient(k)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dc.ServerResourcesForGroupVersion("kubermatic.k8c.io/v1")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range res.APIResources {
		if r.Name == "clusterbackupstoragelocations" && len(r.ShortNames) == 1 && r.ShortNames[0] == "cbsl" {
			found = true
		}
	}
	if !found {
		t.Fatalf("short name cbsl not served: %+v", res.APIResources)
	}
}
