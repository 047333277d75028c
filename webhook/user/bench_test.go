package user_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// cliBackup is the object the API server sends for `velero backup create
// nightly --include-namespaces app` (labels and managedFields included).
const cliBackup = `{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"nightly","namespace":"velero",` +
	`"labels":{"team":"payments"},"managedFields":[{"manager":"velero","operation":"Update","apiVersion":"velero.io/v1",` +
	`"time":"2026-11-25T22:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:team":{}}},` +
	`"f:spec":{".":{},"f:csiSnapshotTimeout":{},"f:hooks":{},"f:includedNamespaces":{},"f:itemOperationTimeout":{},"f:metadata":{},"f:ttl":{}}}}]},` +
	`"spec":{"includedNamespaces":["app"],"ttl":"0s","csiSnapshotTimeout":"0s","itemOperationTimeout":"0s","hooks":{},"metadata":{}},"status":{}}`

// reviewOf wraps an object in a CREATE AdmissionReview.
func reviewOf(obj string) []byte {
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0b9c8f4e-6a51-4f0e-9d7e-3f1f2b6f9a10",` +
		`"kind":{"group":"velero.io","version":"v1","kind":"Backup"},"resource":{"group":"velero.io","version":"v1","resource":"backups"},` +
		`"requestKind":{"group":"velero.io","version":"v1","kind":"Backup"},"requestResource":{"group":"velero.io","version":"v1","resource":"backups"},` +
		`"name":"nightly","namespace":"velero","operation":"CREATE","userInfo":{"username":"alice","groups":["system:authenticated"]},` +
		`"object":` + obj + `,"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}`)
}

var (
	// mutateReview needs all three Backup defaults.
	mutateReview = reviewOf(cliBackup)
	// completeReview needs none: the user set them.
	completeReview = reviewOf(strings.Replace(cliBackup, `"ttl":"0s"`, `"ttl":"24h0m0s","storageLocation":"default","defaultVolumesToFsBackup":true`, 1))
)

var setLogger sync.Once

// productionLogger installs the JSON logger `clusterbackup webhook` uses, at
// its default level, writing nowhere.
func productionLogger() {
	setLogger.Do(func() { logf.SetLogger(logr.FromSlogHandler(slog.NewJSONHandler(io.Discard, nil))) })
}

// benchReview posts body to wh until b is done and checks each answer.
func benchReview(b *testing.B, wh http.Handler, body []byte, want string) {
	b.Helper()
	productionLogger()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(want)) {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
}

// BenchmarkMutateBackupReview measures a velero-CLI Backup CREATE through
// the production handler (decode, defaults, rules, JSON patch, encode)
// without TLS: the one call a Backup create costs.
func BenchmarkMutateBackupReview(b *testing.B) {
	_, hs := fuzzHandlers(b)
	benchReview(b, hs[user.MutateBackupPath], mutateReview, `"patchType":"JSONPatch"`)
}

// BenchmarkCompleteBackupReview is the same for a Backup that needs no
// defaults (rules only, no patch).
func BenchmarkCompleteBackupReview(b *testing.B) {
	_, hs := fuzzHandlers(b)
	benchReview(b, hs[user.MutateBackupPath], completeReview, `"allowed":true`)
}

// BenchmarkAllowAllReview is the floor as hack/loadgen runs it:
// controller-runtime's admission.Webhook, a logger that discards, and a
// handler that allows everything.
func BenchmarkAllowAllReview(b *testing.B) {
	wh := &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") }),
		LogConstructor: func(logr.Logger, *admission.Request) logr.Logger { return logr.Discard() }}
	benchReview(b, wh, mutateReview, `"allowed":true`)
}
