package admit

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

// TestDecodeReview checks what the one-pass decoding keeps and skips: the
// spec with its durations, not metadata.managedFields, which no rule reads.
func TestDecodeReview(t *testing.T) {
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
		`"kind":{"group":"velero.io","version":"v1","kind":"Backup"},"operation":"CREATE","userInfo":{"username":"alice","groups":["g"]},` +
		`"object":{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b","namespace":"velero","labels":{"team":"a"},` +
		`"managedFields":[{"manager":"velero","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},` +
		`"spec":{"ttl":"24h0m0s","csiSnapshotTimeout":null,"includedNamespaces":["app"]}},"oldObject":null,"dryRun":true}}`)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rev, _, code, err := decodeReview[*velerov1.Backup](r, "Backup")
	if err != nil {
		t.Fatalf("decode: %d %v", code, err)
	}
	req, b := rev.Request, rev.Request.Object
	switch {
	case req.UID != "u1" || req.UserInfo.Username != "alice" || req.Operation != "CREATE" || req.DryRun == nil || !*req.DryRun:
		t.Errorf("request fields: %+v", req.AdmissionRequest)
	case b.Name != "b" || b.Labels["team"] != "a" || b.Spec.TTL.Duration != 24*time.Hour || b.Spec.CSISnapshotTimeout.Duration != 0 || b.Spec.IncludedNamespaces[0] != "app":
		t.Errorf("object: %+v", b)
	case len(b.ManagedFields) != 0:
		t.Errorf("managedFields should be skipped, got %+v", b.ManagedFields)
	case req.OldObject != nil:
		t.Errorf("oldObject null should stay nil")
	}
}
