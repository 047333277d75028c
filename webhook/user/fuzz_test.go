package user_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/clusterbackup/clusterbackup/webhook/admit"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// fuzzHandlers returns the handlers in a stable order with their kinds.
func fuzzHandlers(t testing.TB) ([]string, map[string]http.Handler) {
	cfg := testConfig()
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	hs := user.Handlers(&cfg, world(), admit.NewMetrics(nil))
	paths := make([]string, 0, len(hs))
	for p := range hs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, hs
}

// kindOf maps a webhook path to the kind it admits.
func kindOf(path string) string {
	switch {
	case strings.HasSuffix(path, "backupstoragelocation"):
		return "BackupStorageLocation"
	case strings.HasSuffix(path, "backup"):
		return "Backup"
	case strings.HasSuffix(path, "schedule"):
		return "Schedule"
	}
	return "Restore"
}

// FuzzReview feeds arbitrary objects, old objects, operations and users to
// every handler in well-formed reviews: no input may panic, every answer is
// an AdmissionReview, every denial carries a message, only mutating
// webhooks patch, and a patch applies to the object as sent (with the JSON
// patch library the kube-apiserver uses): every operation's parent exists.
func FuzzReview(f *testing.F) {
	f.Add(uint8(3), "CREATE", "alice", []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"0s"}}`), []byte(nil))
	f.Add(uint8(3), "UPDATE", "system:serviceaccount:velero:velero", []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"720h0m0s"},"status":{"phase":"InProgress"}}`), []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{},"status":{"phase":"New"}}`))
	f.Add(uint8(1), "UPDATE", "alice", []byte(`{"metadata":{"name":"default","namespace":"velero"},"spec":{"objectStorage":{"bucket":"backups","prefix":"kkp/p1/c1/../c2"},"default":true}}`), []byte(`{"metadata":{"name":"default","namespace":"velero"},"spec":{}}`))
	f.Add(uint8(0), "CREATE", "", []byte(`{"metadata":{"name":"default","namespace":"velero"}}`), []byte(nil))
	f.Add(uint8(5), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"schedule":"@every -1h","template":{"orLabelSelectors":[null]}}}`), []byte(nil))
	f.Add(uint8(6), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"backupName":"x","includedNamespaces":["*"]}}`), []byte(nil))
	f.Add(uint8(2), "DELETE", "alice", []byte(`null`), []byte(`[]`))
	f.Add(uint8(5), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"schedule":"@daily","template":{"future":{"x":1}}}}`), []byte(nil))
	f.Add(uint8(5), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"schedule":"@daily","template":null}}`), []byte(nil))
	f.Add(uint8(3), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"future":1}}`), []byte(nil))
	f.Add(uint8(1), "CREATE", "alice", []byte(`{"metadata":{"name":"default","namespace":"velero"},"spec":{"objectStorage":null,"config":{"future":"x"}}}`), []byte(nil))
	paths, hs := fuzzHandlers(f)
	raw := func(b []byte) runtime.RawExtension {
		if !json.Valid(b) {
			return runtime.RawExtension{} // sent as null
		}
		return runtime.RawExtension{Raw: b}
	}
	f.Fuzz(func(t *testing.T, which uint8, op, username string, obj, old []byte) {
		path := paths[int(which)%len(paths)]
		body, err := json.Marshal(admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{
				UID:       "u",
				Kind:      metav1.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: kindOf(path)},
				Namespace: "velero",
				Operation: admissionv1.Operation(op),
				UserInfo:  authnv1.UserInfo{Username: username},
				Object:    raw(obj),
				OldObject: raw(old),
			},
		})
		if err != nil {
			t.Fatalf("build review: %v", err)
		}
		resp := serveReview(t, hs[path], body)
		if !resp.Allowed && (resp.Result == nil || resp.Result.Message == "") {
			t.Fatalf("%s %s: denial without a message: %+v", path, op, resp)
		}
		if resp.Allowed && len(resp.Patch) > 0 && !strings.HasPrefix(path, "/mutate") {
			t.Fatalf("%s: a validating webhook returned a patch", path)
		}
		if len(resp.Patch) > 0 {
			p, err := jsonpatch.DecodePatch(resp.Patch)
			if err != nil {
				t.Fatalf("%s: patch %s: %v", path, resp.Patch, err)
			}
			if _, err := p.Apply(obj); err != nil {
				t.Fatalf("%s: patch %s does not apply to the object %s: %v", path, resp.Patch, obj, err)
			}
		}
	})
}

// FuzzServeHTTP posts arbitrary bodies to a handler: the answer is always
// an AdmissionReview, never a recovered panic.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(3), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"velero.io","version":"v1","kind":"Backup"},"operation":"CREATE","object":{"metadata":{"name":"b","namespace":"velero"}}}}`))
	f.Add(uint8(1), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"velero.io","version":"v1","kind":"BackupStorageLocation"},"operation":"UPDATE","object":{"metadata":{"name":"default","namespace":"velero"}}}}`))
	f.Add(uint8(0), []byte(`{"request":`))
	f.Add(uint8(2), []byte(`{}`))
	paths, hs := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		serveReview(t, hs[path], body)
	})
}

// serveReview posts body to h and returns the AdmissionReview's response,
// failing on anything else or on a recovered panic.
func serveReview(t *testing.T, h http.Handler, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body.Bytes())
	}
	if bytes.Contains(rec.Body.Bytes(), []byte("[recovered]")) {
		t.Fatalf("handler panicked: %s", rec.Body.Bytes())
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &ar); err != nil || ar.Response == nil || ar.Kind != "AdmissionReview" {
		t.Fatalf("answer is not an AdmissionReview: %v %s", err, rec.Body.Bytes())
	}
	return ar.Response
}
