package seed

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// rawObject is o as a review's raw object (empty for nil).
func rawObject(t *testing.T, o any) runtime.RawExtension {
	t.Helper()
	if o == nil {
		return runtime.RawExtension{}
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: b}
}

func review(t *testing.T, op admissionv1.Operation, obj, old any) admission.Request {
	t.Helper()
	raw := func(o any) runtime.RawExtension { return rawObject(t, o) }
	kind := cbslKind
	if _, ok := obj.(*kkpv1.Cluster); ok {
		kind = clusterKind
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "review-1", Kind: kind, Operation: op, Name: "loc", Namespace: "kubermatic", Object: raw(obj), OldObject: raw(old)}}
}

// TestMetadataUpdateOfUndefaultedObject: an object stored before the
// webhook existed lacks the defaults; a label update gets them from the
// mutating webhook but must not count as a spec change (no check, no
// Secret read: the validator has neither reader nor checker here).
func TestMetadataUpdateOfUndefaultedObject(t *testing.T) {
	old := fixtures.GoodCBSL()
	old.Spec.Provider = ""
	updated := old.DeepCopy()
	updated.Annotations = map[string]string{"a": "b"}
	storage.DefaultCBSL(updated)
	o, err := Options{}.complete()
	if err != nil {
		t.Fatal(err)
	}
	v := &CBSLValidator{Checker: s3check.New(s3check.Options{}), Options: o}
	if r := handle(t, v, review(t, admissionv1.Update, updated, old)); !r.Allowed {
		t.Fatalf("denied: %v", r.Result)
	}
}

// TestBadReviews: malformed objects and missing oldObject are clear 400s.
func TestBadReviews(t *testing.T) {
	o, _ := Options{}.complete()
	v := &CBSLValidator{Checker: s3check.New(s3check.Options{}), Options: o}
	malformed := func(kind string) io.Reader {
		return strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"kubermatic.k8c.io","version":"v1","kind":"` +
			kind + `"},"operation":"CREATE","name":"loc","namespace":"kubermatic","object":{"metadata":{"name":5}}}}`)
	}
	noOld := review(t, admissionv1.Update, fixtures.GoodCBSL(), nil)
	for name, tc := range map[string]struct {
		h    http.Handler
		body io.Reader
		want string
	}{
		"malformed":                    {v, malformed(kkpv1.KindClusterBackupStorageLocation), "decode the AdmissionReview"},
		"mutator, malformed":           {&CBSLMutator{}, malformed(kkpv1.KindClusterBackupStorageLocation), "decode the AdmissionReview"},
		"cluster validator, malformed": {&ClusterValidator{}, malformed(kkpv1.KindCluster), "decode the AdmissionReview"},
		"update without oldObject":     {v, strings.NewReader(reviewBody(t, &noOld.AdmissionRequest)), "must carry oldObject"},
	} {
		if _, r := serve(t, tc.h, tc.body); r.Allowed || r.Result.Code != 400 || !strings.Contains(r.Result.Message, tc.want) {
			t.Errorf("%s: %+v, want a 400 saying %q", name, r.Result, tc.want)
		}
	}
}

func TestOptions(t *testing.T) {
	if _, err := (Options{Mode: "audit"}).complete(); err == nil {
		t.Fatal("accepted mode audit")
	}
	o, err := Options{}.complete()
	if err != nil || o.Mode != ModeEnforce || o.CBSLNamespace != "kubermatic" {
		t.Fatalf("defaults: %+v %v", o, err)
	}
}

// TestForgedOperationBoundsMetrics: a network peer of the webhook may send
// any operation; the metrics label it "other", so it cannot grow their
// cardinality.
func TestForgedOperationBoundsMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	v := &CBSLValidator{Metrics: m}
	c := &ClusterValidator{Metrics: m}
	for _, op := range []admissionv1.Operation{"FORGED-1", "FORGED-2", "CONNECT"} {
		handle(t, v, review(t, op, fixtures.GoodCBSL(), nil))
		handle(t, c, review(t, op, fixtures.GoodCBSL(), nil))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]float64{}
	for _, mf := range mfs {
		if !strings.HasSuffix(mf.GetName(), "reviews_total") {
			continue
		}
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "operation" {
					ops[l.GetValue()] += metric.GetCounter().GetValue()
				}
			}
		}
	}
	if len(ops) != 2 || ops["other"] != 4 || ops["CONNECT"] != 2 {
		t.Errorf("review counts by operation = %v; want other 4 and CONNECT 2", ops)
	}
}
