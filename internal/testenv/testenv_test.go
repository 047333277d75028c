package testenv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
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
	k := testenv.StartKube(t, testenv.KubeOptions{Webhooks: envtest.WebhookInstallOptions{
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

// TestVersityGW exercises the S3 server the way the product does: bucket,
// put under a prefix, list by prefix, presigned GET.
func TestVersityGW(t *testing.T) {
	ctx := context.Background()
	s := testenv.StartS3(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.RootAccessKey, s.RootSecretKey)
	body := []byte("tarball bytes")
	for _, key := range []string{"p1/c1/backups/b1/b1.tar.gz", "p1/c10/backups/b2/b2.tar.gz"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("backups"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("backups"), Prefix: aws.String("p1/c1/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "p1/c1/backups/b1/b1.tar.gz" {
		t.Fatalf("list p1/c1/ = %v, want exactly b1", keys(out.Contents))
	}
	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("backups"), Key: aws.String("p1/c1/backups/b1/b1.tar.gz")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET = %d %q, want 200 %q", resp.StatusCode, got, body)
	}
	resp, err = http.Get(pre.URL + "x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered presigned GET = %d, want 403", resp.StatusCode)
	}
}

// TestCBSLRoundTripWithPrinterColumns installs our CRD, stores a CBSL and
// reads it back as kubectl would, as a Table with our printer columns.
func TestCBSLRoundTripWithPrinterColumns(t *testing.T) {
	ctx := context.Background()
	k := testenv.StartKube(t, testenv.KubeOptions{})
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
