package admit

import (
	"context"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Outcomes of a review, the vocabulary of metrics and logs.
const (
	// OutcomeAllowed: admitted unchanged (warnings are counted apart).
	OutcomeAllowed = "allowed"
	// OutcomePatched: admitted with a patch.
	OutcomePatched = "patched"
	// OutcomeDenied: the object broke a rule (422, with causes).
	OutcomeDenied = "denied"
	// OutcomeErrored: a review the endpoint cannot judge (400, 413) or a
	// failure to decide (500).
	OutcomeErrored = "errored"
)

// Outcome classifies an answer.
func Outcome(resp admission.Response) string {
	switch {
	case !resp.Allowed && resp.Result != nil && resp.Result.Code != http.StatusUnprocessableEntity && resp.Result.Code != http.StatusForbidden:
		return OutcomeErrored
	case !resp.Allowed:
		return OutcomeDenied
	case len(resp.Patches) > 0:
		return OutcomePatched
	}
	return OutcomeAllowed
}

// Deny answers a review whose object broke the rules the way the API
// server reports its own validation: 422 Invalid, a message naming the
// object and each field error's field and rule, and one cause per field
// error. It logs the denial at verbosity 0.
func Deny(ctx context.Context, req admission.Request, kind metav1.GroupVersionKind, name string, errs field.ErrorList, warns admission.Warnings) admission.Response {
	st := apierrors.NewInvalid(schema.GroupKind{Group: kind.Group, Kind: kind.Kind}, name, errs).ErrStatus
	logf.FromContext(ctx).Info("denied", "kind", kind.Kind, "namespace", req.Namespace, "name", name,
		"operation", req.Operation, "user", req.UserInfo.Username, "dryRun", req.DryRun != nil && *req.DryRun, "reason", st.Message)
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &st, Warnings: warns}}
}
