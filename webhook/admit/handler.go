package admit

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Endpoint is what one handler is registered for.
type Endpoint struct {
	// Kind is the kind admitted; a review of another one is answered 400.
	Kind metav1.GroupVersionKind
	// Ops are the operations the webhook configuration registers; a
	// review of another operation is answered 400.
	Ops []admissionv1.Operation
	// Hook names the handler in metrics and logs, e.g. "mutate-backup".
	Hook string
	// Metrics are optional.
	Metrics *Metrics
}

// ValidateFunc checks obj (old is nil on CREATE) and returns field errors
// (a denial), warnings, and an error when it could not decide (answered
// 500).
type ValidateFunc[T client.Object] func(ctx context.Context, req admission.Request, obj, old T) (field.ErrorList, admission.Warnings, error)

// Mutator defaults objects on CREATE and UPDATE and answers with the JSON
// patch of what the defaults changed.
type Mutator[T client.Object] struct {
	Endpoint
	// OnUpdate also defaults UPDATEs that change the spec (SpecEqual nil:
	// every UPDATE).
	OnUpdate bool
	// SpecEqual reports whether two objects have the same spec.
	SpecEqual func(a, b T) bool
	// Spec returns a pointer to the object's spec, the only part defaults
	// change besides annotations; SpecCopy a pointer to a deep copy of it.
	Spec, SpecCopy func(obj T) any
	// Default fills obj in place; its warnings say which values it changed
	// that the requester had set (a correction is never silent).
	Default func(ctx context.Context, obj T) (admission.Warnings, error)
	// Validate, when set, also checks the defaulted object and denies it in
	// the same call, so that admitting it takes one webhook call instead of
	// a mutating and a validating one.
	Validate ValidateFunc[T]
}

// Validator validates objects on CREATE and UPDATE, and deletes with Delete.
type Validator[T client.Object] struct {
	Endpoint
	Validate ValidateFunc[T]
	// Delete judges a DELETE (the Endpoint must register it); it sees the
	// request's namespace and name.
	Delete func(ctx context.Context, req admission.Request) (field.ErrorList, error)
}

// ServeHTTP implements http.Handler.
func (m *Mutator[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, &m.Endpoint, m.review)
}

// review defaults obj and answers with the JSON patch of the change, after
// validating the result when the mutator validates too.
func (m *Mutator[T]) review(ctx context.Context, req admission.Request, obj, old T, raw rawReview) (admission.Response, field.ErrorList) {
	if req.Operation == admissionv1.Update && (!m.OnUpdate || m.SpecEqual != nil && m.SpecEqual(old, obj)) {
		return admission.Allowed(""), nil
	}
	before, annotations := m.SpecCopy(obj), maps.Clone(obj.GetAnnotations())
	warns, err := m.Default(ctx, obj)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("default %s %q: %w", m.Kind.Kind, obj.GetName(), err)), nil
	}
	if m.Validate != nil {
		errs, w, err := m.Validate(ctx, req, obj, old)
		warns = append(warns, w...)
		switch {
		case err != nil:
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("validate %s %q: %w", m.Kind.Kind, obj.GetName(), err)), nil
		case len(errs) > 0:
			return Deny(ctx, req, m.Kind, obj.GetName(), errs, warns), errs
		}
	}
	ops, err := specPatch(before, m.Spec(obj), raw)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("patch %s %q: %w", m.Kind.Kind, obj.GetName(), err)), nil
	}
	ops = append(ops, annotationPatch(annotations, obj.GetAnnotations())...)
	if len(ops) == 0 {
		return admission.Allowed("").WithWarnings(warns...), nil
	}
	return admission.Patched("", ops...).WithWarnings(warns...), nil
}

// ServeHTTP implements http.Handler.
func (v *Validator[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, &v.Endpoint, v.review)
}

// review validates obj (against old on UPDATE), or judges a DELETE.
func (v *Validator[T]) review(ctx context.Context, req admission.Request, obj, old T, _ rawReview) (admission.Response, field.ErrorList) {
	var errs field.ErrorList
	var warns admission.Warnings
	var err error
	name := req.Name
	if req.Operation == admissionv1.Delete {
		errs, err = v.Delete(ctx, req)
	} else {
		name = obj.GetName()
		errs, warns, err = v.Validate(ctx, req, obj, old)
	}
	switch {
	case err != nil:
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("validate %s %q: %w", v.Kind.Kind, name, err)), nil
	case len(errs) > 0:
		return Deny(ctx, req, v.Kind, name, errs, warns), errs
	}
	return admission.Allowed("").WithWarnings(warns...), nil
}

// refuse returns the error answered (400) for a review this endpoint is
// not registered for: another operation or kind. Messages quote nothing
// from the request but its operation and kind, bounded.
func (e *Endpoint) refuse(req admission.Request) error {
	switch {
	case !slices.Contains(e.Ops, req.Operation):
		return fmt.Errorf("operation %.32q is not one this webhook is registered for (%v)", req.Operation, e.Ops)
	case req.Kind != e.Kind:
		return fmt.Errorf("request.kind %.96q is not %q: this endpoint admits %s only; check the webhook configuration's rules",
			gvk(req.Kind), gvk(e.Kind), e.Kind.Kind)
	}
	return nil
}

// gvk spells a kind as group/version, Kind=kind.
func gvk(k metav1.GroupVersionKind) string {
	return k.Group + "/" + k.Version + ", Kind=" + k.Kind
}
