package admit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime/debug"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// MaxReviewBytes bounds an AdmissionReview's body (controller-runtime's
// limit too); a larger one is answered with code 413.
const MaxReviewBytes = 7 << 20

// log is the logger of every review: denials at verbosity 0 (deny), every
// other answer at 1 (logReview).
var log = logf.Log.WithName("admission")

// reviewFunc answers a well-formed CREATE or UPDATE review of the endpoint's
// kind; old is nil on CREATE; raw is the review's body (see rawReview).
type reviewFunc[T client.Object] func(ctx context.Context, req admission.Request, obj, old T, raw rawReview) (admission.Response, field.ErrorList)

// objectReview is an AdmissionReview whose object and oldObject decode
// straight into T: the outer fields shadow the embedded request's raw ones.
type objectReview[T any] struct {
	metav1.TypeMeta `json:",inline"`
	Request         *struct {
		admissionv1.AdmissionRequest `json:",inline"`
		Object                       T `json:"object,omitempty"`
		OldObject                    T `json:"oldObject,omitempty"`
	} `json:"request,omitempty"`
}

// reviewJSON decodes AdmissionReviews with encoding/json/v2's defaults,
// stricter than encoding/json (names case-sensitive and unique, strings
// valid UTF-8), and skips what no rule reads: metadata.managedFields (the
// API server's field ownership).
var reviewJSON = jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, _ *[]metav1.ManagedFieldsEntry) error { return d.SkipValue() }),
	// metav1.Duration's UnmarshalJSON would run encoding/json once more.
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, v *metav1.Duration) error {
		t, err := d.ReadToken()
		if err != nil {
			return err
		}
		switch t.Kind() {
		case 'n':
			return nil
		case '"':
			v.Duration, err = time.ParseDuration(t.String())
			return err
		}
		return fmt.Errorf("want a duration string like \"720h0m0s\", got a JSON %s", t.Kind())
	}),
))

// serve answers one HTTP request carrying an AdmissionReview for kind.
//
// It parses the body once, objects included, where controller-runtime's
// admission.Webhook parses it three times (sniff the type, decode the
// review, decode the object from its raw bytes); that was half the CPU of a
// Backup review, and a review's CPU shows up several-fold in the latency
// the API server adds on a loaded node. Errors are answered like
// controller-runtime does: HTTP 200 with the code and message in the review.
func serve[T client.Object](w http.ResponseWriter, r *http.Request, e *Endpoint, review reviewFunc[T]) {
	ctx := logf.IntoContext(r.Context(), log)
	var req admission.Request
	var resp admission.Response
	var errs field.ErrorList
	apiVersion := admissionv1.SchemeGroupVersion.String()
	rev, raw, code, err := decodeReview[T](r, e.Kind.Kind)
	if err != nil {
		resp = admission.Errored(code, err)
	} else {
		apiVersion = rev.APIVersion
		req.AdmissionRequest = rev.Request.AdmissionRequest
		resp, errs = answer(ctx, req, e, rev.Request.Object, rev.Request.OldObject, raw, review)
	}
	e.Metrics.observe(e.Hook, req, resp, errs)
	logReview(ctx, e.Kind.Kind, req, resp)
	writeReview(ctx, w, req, resp, apiVersion)
}

// decodeReview reads and decodes the request body, which it returns too; on
// error it returns the code to answer with.
func decodeReview[T any](r *http.Request, kind string) (*objectReview[T], rawReview, int32, error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return nil, nil, http.StatusBadRequest, fmt.Errorf("contentType=%s, expected application/json", ct)
	}
	body, err := readBody(r)
	switch {
	case err != nil:
		return nil, nil, http.StatusBadRequest, fmt.Errorf("read the request body: %w", err)
	case len(body) == 0:
		return nil, nil, http.StatusBadRequest, errors.New("request body is empty")
	case len(body) > MaxReviewBytes:
		return nil, nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request entity is too large; limit is %d bytes", MaxReviewBytes)
	}
	var rev objectReview[T]
	if err := jsonv2.Unmarshal(body, &rev, reviewJSON); err != nil {
		return nil, nil, http.StatusBadRequest, fmt.Errorf("decode the AdmissionReview of a %s: %w", kind, err)
	}
	if rev.Kind != "AdmissionReview" || rev.APIVersion != "admission.k8s.io/v1" && rev.APIVersion != "admission.k8s.io/v1beta1" {
		return nil, nil, http.StatusBadRequest, fmt.Errorf("want an AdmissionReview of admission.k8s.io/v1 or v1beta1, got kind %q apiVersion %q", rev.Kind, rev.APIVersion)
	}
	if rev.Request == nil {
		return nil, nil, http.StatusBadRequest, errors.New("the AdmissionReview has no request")
	}
	return &rev, body, 0, nil
}

// readBody reads at most MaxReviewBytes+1 bytes of the body, into a buffer
// of the announced length when there is one (the API server always sends
// it), which saves io.ReadAll's growing copies.
func readBody(r *http.Request) ([]byte, error) {
	lr := io.LimitReader(r.Body, MaxReviewBytes+1)
	if n := r.ContentLength; n > 0 && n <= MaxReviewBytes {
		body := make([]byte, n, n+1)
		if _, err := io.ReadFull(lr, body); err != nil {
			return nil, err
		}
		// A body longer than announced is caught here too.
		rest, err := io.ReadAll(lr)
		return append(body, rest...), err
	}
	return io.ReadAll(lr)
}

// answer checks what every endpoint requires of a decoded review and calls
// review; a panic in it becomes an internal error, logged with its stack.
func answer[T client.Object](ctx context.Context, req admission.Request, e *Endpoint, obj, old T, raw rawReview, review reviewFunc[T]) (resp admission.Response, errs field.ErrorList) {
	defer func() {
		if p := recover(); p != nil {
			logf.FromContext(ctx).Error(fmt.Errorf("%v", p), "panic while admitting", "kind", e.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "stack", string(debug.Stack()))
			resp, errs = admission.Errored(http.StatusInternalServerError, fmt.Errorf("internal error while admitting %s %q [recovered]; see the webhook's log", e.Kind.Kind, req.Name)), nil
		}
	}()
	if err := e.refuse(req); err != nil {
		return admission.Errored(http.StatusBadRequest, err), nil
	}
	switch {
	case req.Operation == admissionv1.Delete:
		// A DELETE carries the old object only; the rule reads the name.
	case isNil(obj):
		return admission.Errored(http.StatusBadRequest, errNoObject), nil
	case req.Operation == admissionv1.Update && isNil(old):
		return admission.Errored(http.StatusBadRequest, errNoOldObject), nil
	}
	return review(ctx, req, obj, old, raw)
}

// errNoObject and friends are the client mistakes every handler reports.
var (
	errNoObject    = errors.New("the AdmissionReview request has no object")
	errNoOldObject = errors.New("an UPDATE AdmissionReview must carry oldObject")
)

// writeReview writes resp as the AdmissionReview answering req.
func writeReview(ctx context.Context, w http.ResponseWriter, req admission.Request, resp admission.Response, apiVersion string) {
	if err := resp.Complete(req); err != nil {
		logf.FromContext(ctx).Error(err, "encode the admission response")
		resp = admission.Errored(http.StatusInternalServerError, errors.New("unable to encode the admission response"))
		resp.UID = req.UID
	}
	out, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: &resp.AdmissionResponse,
	})
	if err != nil {
		http.Error(w, "unable to encode the AdmissionReview", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// isNil reports whether the pointer obj is nil: the review had no such object.
func isNil[T client.Object](obj T) bool {
	v := reflect.ValueOf(obj)
	return !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil()
}
