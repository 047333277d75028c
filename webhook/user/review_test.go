package user_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// world is the cluster state the raw-review tests see.
func world() *velerorules.Objects {
	m := fixtures.BSL("default", "backups", "https://s3.example.com", "kkp/p1/c1", fixtures.Default)
	return &velerorules.Objects{Locations: []velerov1.BackupStorageLocation{*m}, Namespaces: []string{"velero", "app"}}
}

// tlsServer serves the handlers over TLS on 127.0.0.1 and returns its base
// URL and a client trusting it.
func tlsServer(t *testing.T) (string, *http.Client) {
	t.Helper()
	dir := t.TempDir()
	ca, err := testcert.Write(dir, "webhook")
	testenv.Must(t, err)
	port, err := testenv.FreePort()
	testenv.Must(t, err)
	cfg := testConfig()
	testenv.Must(t, cfg.Complete())
	srv := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: dir})
	user.Register(srv, &cfg, world(), admit.NewMetrics(nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("webhook server stopped: %v", err)
		}
	})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	testenv.WaitTLS(t, fmt.Sprintf("127.0.0.1:%d", port))
	return fmt.Sprintf("https://127.0.0.1:%d", port), c
}

// review builds an AdmissionReview body.
func review(kind, op string, obj, old any, dryRun bool) []byte {
	raw := func(v any) runtime.RawExtension {
		switch v.(type) {
		case nil:
			return runtime.RawExtension{}
		case string:
			return runtime.RawExtension{Raw: []byte(`"__RAW__"`)}
		}
		b, _ := json.Marshal(v)
		return runtime.RawExtension{Raw: b}
	}
	ar := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "4e0b1f3c-0000-4000-8000-000000000001",
			Kind:      metav1.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: kind},
			Resource:  metav1.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: strings.ToLower(kind) + "s"},
			Namespace: "velero", Name: "x",
			Operation: admissionv1.Operation(op),
			UserInfo:  authnv1.UserInfo{Username: alice},
			Object:    raw(obj), OldObject: raw(old),
			DryRun: ptr.To(dryRun),
		},
	}
	b, _ := json.Marshal(ar)
	// Raw strings go in verbatim, so malformed objects can be sent.
	for _, v := range []any{obj, old} {
		if x, ok := v.(string); ok {
			b = bytes.Replace(b, []byte(`"__RAW__"`), []byte(x), 1)
		}
	}
	return b
}

// post sends body and decodes the AdmissionReview answer.
func post(t *testing.T, c *http.Client, url, contentType string, body []byte) (int, *admissionv1.AdmissionResponse) {
	t.Helper()
	resp, err := c.Post(url, contentType, bytes.NewReader(body))
	testenv.Must(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &ar); err != nil || ar.Response == nil {
		t.Fatalf("answer is not an AdmissionReview (%d): %q", resp.StatusCode, data)
	}
	return resp.StatusCode, ar.Response
}

func TestBadInput(t *testing.T) {
	base, c := tlsServer(t)
	backup := map[string]any{"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": map[string]any{"name": "b", "namespace": "velero"}, "spec": map[string]any{"storageLocation": "nowhere"}}
	goodBackup := map[string]any{"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": map[string]any{"name": "b", "namespace": "velero"}, "spec": map[string]any{}}
	mapped := func(dst string) map[string]any {
		return map[string]any{"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": map[string]any{"name": "r", "namespace": "velero"},
			"spec": map[string]any{"backupName": "b", "namespaceMapping": map[string]string{"app": dst}}}
	}
	huge := review("Backup", "CREATE", map[string]any{"metadata": map[string]any{"name": "b", "annotations": map[string]string{"x": strings.Repeat("a", 8<<20)}}}, nil, false)
	tests := map[string]struct {
		path, contentType string
		body              []byte
		wantCode          int32
		wantAllowed       bool
		wantMsg           string
	}{
		"malformed JSON":                  {path: user.ValidateBackupPath, body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{`), wantCode: 400, wantMsg: "unexpected"},
		"malformed object":                {path: user.ValidateBackupPath, body: review("Backup", "CREATE", `{"metadata":`, nil, false), wantCode: 400, wantMsg: "decode the AdmissionReview of a Backup: "},
		"object of the wrong type":        {path: user.ValidateBackupPath, body: review("Backup", "CREATE", `{"spec":{"ttl":5}}`, nil, false), wantCode: 400, wantMsg: `unmarshal into Go *v1.Duration within "/request/object/spec/ttl": want a duration string like "720h0m0s", got a JSON number`}, // the library says "cannot" or "unable to", chosen at random per process
		"duplicate name in the object":    {path: user.MutateBackupPath, body: review("Backup", "CREATE", `{"metadata":{"name":"b"},"spec":{"storageLocation":"default","storageLocation":"nowhere"}}`, nil, false), wantCode: 400, wantMsg: `duplicate object member name "storageLocation"`},
		"ttl that is no duration":         {path: user.MutateBackupPath, body: review("Backup", "CREATE", `{"metadata":{"name":"b"},"spec":{"ttl":"soon"}}`, nil, false), wantCode: 400, wantMsg: `/request/object/spec/ttl`},
		"not an AdmissionReview":          {path: user.ValidateBackupPath, body: []byte(`{"apiVersion":"v1","kind":"Pod","request":{}}`), wantCode: 400, wantMsg: `want an AdmissionReview of admission.k8s.io/v1 or v1beta1, got kind "Pod" apiVersion "v1"`},
		"review without a request":        {path: user.MutateBackupPath, body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), wantCode: 400, wantMsg: "the AdmissionReview has no request"},
		"wrong kind for the endpoint":     {path: user.ValidateBackupPath, body: review("Restore", "CREATE", goodBackup, nil, false), wantCode: 400, wantMsg: `request.kind "velero.io/v1, Kind=Restore" is not "velero.io/v1, Kind=Backup": this endpoint admits Backup only`},
		"wrong kind for a mutator":        {path: user.MutateBSLPath, body: review("Backup", "CREATE", goodBackup, nil, false), wantCode: 400, wantMsg: "this endpoint admits BackupStorageLocation only"},
		"missing object":                  {path: user.ValidateBackupPath, body: review("Backup", "CREATE", nil, nil, false), wantCode: 400, wantMsg: "has no object"},
		"missing object on a mutator":     {path: user.MutateBackupPath, body: review("Backup", "CREATE", nil, nil, false), wantCode: 400, wantMsg: "has no object"},
		"UPDATE without oldObject":        {path: user.ValidateBackupPath, body: review("Backup", "UPDATE", goodBackup, nil, false), wantCode: 400, wantMsg: "must carry oldObject"},
		"UPDATE without oldObject (BSL)":  {path: user.MutateBSLPath, body: review("BackupStorageLocation", "UPDATE", goodBackup, nil, false), wantCode: 400, wantMsg: "must carry oldObject"},
		"oversized body":                  {path: user.ValidateBackupPath, body: huge, wantCode: 413, wantMsg: "request entity is too large"},
		"wrong content type":              {path: user.ValidateBackupPath, contentType: "text/plain", body: review("Backup", "CREATE", goodBackup, nil, false), wantCode: 400, wantMsg: "expected application/json"},
		"empty body":                      {path: user.ValidateBackupPath, body: nil, wantCode: 400, wantMsg: "request body is empty"},
		"real request denied":             {path: user.ValidateBackupPath, body: review("Backup", "CREATE", backup, nil, false), wantCode: 422, wantMsg: `spec.storageLocation: Not found: "nowhere"`},
		"denied by the mutating call":     {path: user.MutateBackupPath, body: review("Backup", "CREATE", backup, nil, false), wantCode: 422, wantMsg: `Backup.velero.io "b" is invalid: spec.storageLocation: Not found: "nowhere"`},
		"dry-run denied the same way":     {path: user.ValidateBackupPath, body: review("Backup", "CREATE", backup, nil, true), wantCode: 422, wantMsg: `spec.storageLocation: Not found: "nowhere"`},
		"dry-run allowed":                 {path: user.ValidateBackupPath, body: review("Backup", "CREATE", goodBackup, nil, true), wantCode: 200, wantAllowed: true},
		"DELETE is not registered":        {path: user.ValidateRestorePath, body: review("Restore", "DELETE", nil, nil, false), wantCode: 400, wantMsg: `operation "DELETE" is not one this webhook is registered for`},
		"Restore UPDATE into kube-system": {path: user.ValidateRestorePath, body: review("Restore", "UPDATE", mapped("kube-system"), mapped("app-2"), false), wantCode: 422, wantMsg: `spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "kube-system"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			status, resp := post(t, c, base+tc.path, ct, tc.body)
			if status != http.StatusOK {
				t.Fatalf("HTTP status %d, want 200 with the error inside the review", status)
			}
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			code := int32(200)
			msg := ""
			if resp.Result != nil {
				code, msg = resp.Result.Code, resp.Result.Message
			}
			if code != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("result = %d %q, want %d containing %q", code, msg, tc.wantCode, tc.wantMsg)
			}
			if strings.Contains(msg, "panic") {
				t.Fatalf("handler panicked: %s", msg)
			}
			// A denial has the API server's own shape: Invalid, one cause
			// per broken rule naming its field.
			if code == http.StatusUnprocessableEntity && (resp.Result.Reason != metav1.StatusReasonInvalid || resp.Result.Details == nil ||
				len(resp.Result.Details.Causes) == 0 || resp.Result.Details.Causes[0].Field == "") {
				t.Fatalf("denial without causes: %+v", resp.Result)
			}
		})
	}
}

// TestMutationPatch checks the mutating answer is a JSON patch that adds
// only the defaults.
func TestMutationPatch(t *testing.T) {
	base, c := tlsServer(t)
	obj := `{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"0s","includedNamespaces":["app"]}}`
	_, resp := post(t, c, base+user.MutateBackupPath, "application/json", review("Backup", "CREATE", obj, nil, false))
	if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("want an allowed JSON patch, got %+v", resp)
	}
	for _, want := range []string{`"path":"/spec/ttl","value":"720h0m0s"`, `"path":"/spec/storageLocation","value":"default"`, `"path":"/spec/defaultVolumesToFsBackup","value":true`} {
		if !strings.Contains(string(resp.Patch), want) {
			t.Errorf("patch %s lacks %s", resp.Patch, want)
		}
	}
	// An already defaulted backup gets no patch.
	done := `{"metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"1h0m0s","storageLocation":"default","defaultVolumesToFsBackup":false}}`
	_, resp = post(t, c, base+user.MutateBackupPath, "application/json", review("Backup", "CREATE", done, nil, false))
	if !resp.Allowed || len(resp.Patch) != 0 {
		t.Fatalf("want no patch, got %s", resp.Patch)
	}
}
