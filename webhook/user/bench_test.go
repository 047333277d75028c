package user_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// benchReview is a Backup CREATE as the API server sends it after mutation.
var benchReview = []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0b9c8f4e-6a51-4f0e-9d7e-3f1f2b6f9a10",` +
	`"kind":{"group":"velero.io","version":"v1","kind":"Backup"},"resource":{"group":"velero.io","version":"v1","resource":"backups"},` +
	`"name":"nightly","namespace":"velero","operation":"CREATE","userInfo":{"username":"alice","groups":["system:authenticated"]},` +
	`"object":{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"nightly","namespace":"velero"},` +
	`"spec":{"includedNamespaces":["app"],"ttl":"720h0m0s","storageLocation":"default","defaultVolumesToFsBackup":true,"csiSnapshotTimeout":"0s","itemOperationTimeout":"0s","hooks":{},"metadata":{}},"status":{}},` +
	`"oldObject":null,"dryRun":false}}`)

// BenchmarkValidateBackupReview measures one Backup validation through
// controller-runtime's HTTP layer (decode, rules, encode), without TLS.
func BenchmarkValidateBackupReview(b *testing.B) {
	_, hs := fuzzHandlers(b)
	wh := &webhook.Admission{Handler: hs["/validate-velero-io-v1-backup"]}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/validate-velero-io-v1-backup", bytes.NewReader(benchReview))
		r.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
}

// mutateReview is a Backup CREATE as `velero backup create` sends it.
var mutateReview = []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0b9c8f4e-6a51-4f0e-9d7e-3f1f2b6f9a10",` +
	`"kind":{"group":"velero.io","version":"v1","kind":"Backup"},"resource":{"group":"velero.io","version":"v1","resource":"backups"},` +
	`"name":"nightly","namespace":"velero","operation":"CREATE","userInfo":{"username":"alice","groups":["system:authenticated"]},` +
	`"object":{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"nightly","namespace":"velero"},` +
	`"spec":{"includedNamespaces":["app"],"ttl":"0s","csiSnapshotTimeout":"0s","itemOperationTimeout":"0s","hooks":{},"metadata":{}},"status":{}},` +
	`"oldObject":null,"dryRun":false}}`)

// BenchmarkMutateBackupReview measures defaulting a velero-CLI Backup and
// building the JSON patch, through controller-runtime's HTTP layer.
func BenchmarkMutateBackupReview(b *testing.B) {
	_, hs := fuzzHandlers(b)
	wh := &webhook.Admission{Handler: hs["/mutate-velero-io-v1-backup"]}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/mutate-velero-io-v1-backup", bytes.NewReader(mutateReview))
		r.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"patchType":"JSONPatch"`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
}

// BenchmarkAllowAllReview is the floor: controller-runtime's HTTP layer
// with a handler that allows everything.
func BenchmarkAllowAllReview(b *testing.B) {
	wh := &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/allow", bytes.NewReader(mutateReview))
		r.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
