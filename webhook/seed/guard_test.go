package seed

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// serve sends body to h as the API server would (POST, application/json),
// as Setup registers it, and returns the HTTP status and the decoded answer.
func serve(t testing.TB, h http.Handler, body io.Reader) (int, *admissionv1.AdmissionResponse) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", body)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &ar); err != nil || ar.Response == nil {
		t.Fatalf("answer is no AdmissionReview with a response: %v\n%s", err, rec.Body.String())
	}
	return rec.Code, ar.Response
}

// handle sends req to h as an AdmissionReview and returns the answer.
func handle(t testing.TB, h http.Handler, req admission.Request) admission.Response {
	t.Helper()
	_, r := serve(t, h, strings.NewReader(reviewBody(t, &req.AdmissionRequest)))
	return admission.Response{AdmissionResponse: *r}
}

// reviewBody is an AdmissionReview v1 holding req.
func reviewBody(t testing.TB, req *admissionv1.AdmissionRequest) string {
	t.Helper()
	b, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMalformedReviewsDenied sends every seed handler, through the HTTP
// handler the server registers, reviews the API server never sends: an empty
// body, one that is no AdmissionReview, one without a request, an
// operation the webhook is not registered for, and a request.kind that is
// not the handler's (a Secret to the CBSL webhooks, a CBSL to the Cluster
// validator). Each is answered like controller-runtime answers a body it
// cannot read — HTTP 200, allowed false, code 400 — and none reaches the
// rules (the handlers have no reader or checker here). The well-formed
// neighbour of each is admitted.
func TestMalformedReviewsDenied(t *testing.T) {
	o, err := Options{}.complete()
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]struct {
		h    http.Handler
		kind metav1.GroupVersionKind
		obj  any
		op   admissionv1.Operation
	}{
		"cbsl mutator":      {&CBSLMutator{}, cbslKind, fixtures.GoodCBSL(), admissionv1.Create},
		"cbsl validator":    {&CBSLValidator{Checker: s3check.New(s3check.Options{}), Options: o}, cbslKind, nil, admissionv1.Delete},
		"cluster validator": {&ClusterValidator{}, clusterKind, &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "xkc6lgmfsn"}}, admissionv1.Create},
	}
	secret := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "other-project", Namespace: "kubermatic"}}
	raw := func(o any) runtime.RawExtension { return rawObject(t, o) }
	for name, hc := range handlers {
		t.Run(name, func(t *testing.T) {
			// A CBSL outside the CBSL namespace: a DELETE needs no lookup.
			good := &admissionv1.AdmissionRequest{UID: "uid-good", Kind: hc.kind, Operation: hc.op, Name: "loc", Namespace: "elsewhere", Object: raw(hc.obj)}
			if code, r := serve(t, hc.h, strings.NewReader(reviewBody(t, good))); code != http.StatusOK || !r.Allowed || r.UID != "uid-good" {
				t.Fatalf("the well-formed review: HTTP %d, %+v", code, r)
			}
			wrongKind := *good
			wrongKind.UID, wrongKind.Kind, wrongKind.Object = "uid-kind", metav1.GroupVersionKind{Version: "v1", Kind: "Secret"}, raw(secret)
			if hc.kind == clusterKind {
				wrongKind.Kind, wrongKind.Object = cbslKind, raw(fixtures.GoodCBSL())
			}
			forgedOp := *good
			forgedOp.UID, forgedOp.Operation = "uid-op", "FORGED"
			connect := *good
			connect.UID, connect.Operation = "uid-connect", admissionv1.Connect
			noKind := *good
			noKind.UID, noKind.Kind = "uid-nokind", metav1.GroupVersionKind{}
			for what, tc := range map[string]struct {
				body io.Reader
				want string
			}{
				"no body":                {http.NoBody, "request body is empty"},
				"empty body":             {strings.NewReader(""), "request body is empty"},
				"not JSON":               {strings.NewReader("{not json"), "decode the AdmissionReview"},
				"empty object":           {strings.NewReader("{}"), "want an AdmissionReview"},
				"no request":             {strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), "has no request"},
				"null request":           {strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`), "has no request"},
				"unknown operation":      {strings.NewReader(reviewBody(t, &forgedOp)), `operation "FORGED" is not one`},
				"unregistered operation": {strings.NewReader(reviewBody(t, &connect)), `operation "CONNECT" is not one`},
				"another kind":           {strings.NewReader(reviewBody(t, &wrongKind)), "request.kind"},
				"no kind":                {strings.NewReader(reviewBody(t, &noKind)), "request.kind"},
			} {
				code, r := serve(t, hc.h, tc.body)
				if code != http.StatusOK || r.Allowed || r.Result == nil || r.Result.Code != http.StatusBadRequest || !strings.Contains(r.Result.Message, tc.want) {
					t.Errorf("%s: HTTP %d, %+v; want HTTP 200, allowed false, code 400, message containing %q", what, code, r, tc.want)
				}
				if r.Patch != nil {
					t.Errorf("%s: answered with a patch", what)
				}
			}
		})
	}
}

// TestAcceptsMatchConfigurations: each handler accepts exactly the kind and
// operations Configurations registers it for.
func TestAcceptsMatchConfigurations(t *testing.T) {
	m, v := Configurations(admissionregv1.WebhookClientConfig{URL: ptr.To("https://seed.example")})
	kinds := map[string]metav1.GroupVersionKind{"clusterbackupstoragelocations": cbslKind, "clusters": clusterKind}
	byPath := maps.Clone(endpoints)
	check := func(cc admissionregv1.WebhookClientConfig, rules []admissionregv1.RuleWithOperations) {
		path := strings.TrimPrefix(*cc.URL, "https://seed.example")
		a, ok := byPath[path]
		if !ok || len(rules) != 1 || len(rules[0].Resources) != 1 || len(rules[0].APIVersions) != 1 {
			t.Fatalf("%s: unexpected registration %+v", path, rules)
		}
		r := rules[0]
		if k := kinds[r.Resources[0]]; k != a.Kind || k.Group != r.APIGroups[0] || k.Version != r.APIVersions[0] {
			t.Errorf("%s: accepts %v, registered for %s %v", path, a.Kind, r.Resources[0], r.APIVersions)
		}
		var ops []string
		for _, op := range a.Ops {
			ops = append(ops, string(op))
		}
		var reg []string
		for _, op := range r.Operations {
			reg = append(reg, string(op))
		}
		if strings.Join(ops, ",") != strings.Join(reg, ",") {
			t.Errorf("%s: accepts %v, registered for %v", path, ops, reg)
		}
		delete(byPath, path)
	}
	for _, w := range m.Webhooks {
		check(w.ClientConfig, w.Rules)
	}
	for _, w := range v.Webhooks {
		check(w.ClientConfig, w.Rules)
	}
	if len(byPath) > 0 {
		t.Errorf("handlers without a registration: %v", byPath)
	}
}
