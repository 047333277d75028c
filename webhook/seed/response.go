package seed

import (
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// invalid denies with a 422 Invalid status carrying one cause per field
// error, the way the API server reports its own validation.
func invalid(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) admission.Response {
	st := apierrors.NewInvalid(gk, name, errs).ErrStatus
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &st, Warnings: warnings}}
}

// badRequest answers a review the handler cannot read.
func badRequest(err error) admission.Response {
	return admission.Errored(http.StatusBadRequest, err)
}

// outcome names a response for metrics: allowed, warned, denied, invalid or
// errored.
func outcome(r admission.Response) string {
	switch {
	case r.Allowed && len(r.Warnings) > 0:
		return "warned"
	case r.Allowed:
		return "allowed"
	case r.Result != nil && r.Result.Code == http.StatusUnprocessableEntity:
		return "invalid"
	case r.Result != nil && r.Result.Code >= 400 && r.Result.Code != http.StatusForbidden:
		return "errored"
	}
	return "denied"
}
