package user_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// fuzzHandlers returns the handlers in a stable order with their kinds.
func fuzzHandlers(t testing.TB) ([]string, map[string]admission.Handler) {
	cfg := testConfig()
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	hs := user.Handlers(&cfg, world(), user.NewMetrics(nil))
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
// every handler directly (no panic recovery in between): no input may
// panic, and every denial must carry a message.
func FuzzReview(f *testing.F) {
	f.Add(uint8(3), "CREATE", "alice", []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"0s"}}`), []byte(nil))
	f.Add(uint8(3), "UPDATE", "system:serviceaccount:velero:velero", []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{"ttl":"720h0m0s"},"status":{"phase":"InProgress"}}`), []byte(`{"metadata":{"name":"b","namespace":"velero"},"spec":{},"status":{"phase":"New"}}`))
	f.Add(uint8(1), "UPDATE", "alice", []byte(`{"metadata":{"name":"default","namespace":"velero"},"spec":{"objectStorage":{"bucket":"backups","prefix":"kkp/p1/c1/../c2"},"default":true}}`), []byte(`{"metadata":{"name":"default","namespace":"velero"},"spec":{}}`))
	f.Add(uint8(0), "CREATE", "", []byte(`{"metadata":{"name":"default","namespace":"velero"}}`), []byte(nil))
	f.Add(uint8(5), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"schedule":"@every -1h","template":{"orLabelSelectors":[null]}}}`), []byte(nil))
	f.Add(uint8(6), "CREATE", "alice", []byte(`{"metadata":{"namespace":"velero"},"spec":{"backupName":"x","includedNamespaces":["*"]}}`), []byte(nil))
	f.Add(uint8(2), "DELETE", "alice", []byte(`null`), []byte(`[]`))
	paths, hs := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, which uint8, op, username string, obj, old []byte) {
		path := paths[int(which)%len(paths)]
		req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID:       "u",
			Kind:      metav1.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: kindOf(path)},
			Namespace: "velero",
			Operation: admissionv1.Operation(op),
			UserInfo:  authnv1.UserInfo{Username: username},
			Object:    runtime.RawExtension{Raw: obj},
			OldObject: runtime.RawExtension{Raw: old},
		}}
		resp := hs[path].Handle(context.Background(), req)
		if !resp.Allowed && (resp.Result == nil || resp.Result.Message == "") {
			t.Fatalf("%s %s: denial without a message: %+v", path, op, resp)
		}
		if resp.Allowed && len(resp.Patches) > 0 && !strings.HasPrefix(path, "/mutate") {
			t.Fatalf("%s: a validating webhook returned a patch", path)
		}
	})
}

// FuzzServeHTTP posts arbitrary bodies through controller-runtime's HTTP
// layer to a handler: the answer is always an AdmissionReview, never a
// recovered panic.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(3), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"velero.io","version":"v1","kind":"Backup"},"operation":"CREATE","object":{"metadata":{"name":"b","namespace":"velero"}}}}`))
	f.Add(uint8(1), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"velero.io","version":"v1","kind":"BackupStorageLocation"},"operation":"UPDATE","object":{"metadata":{"name":"default","namespace":"velero"}}}}`))
	f.Add(uint8(0), []byte(`{"request":`))
	f.Add(uint8(2), []byte(`{}`))
	paths, hs := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		wh := &webhook.Admission{Handler: hs[path]}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("HTTP %d", rec.Code)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("[recovered]")) {
			t.Fatalf("%s panicked: %s", path, rec.Body.Bytes())
		}
	})
}
