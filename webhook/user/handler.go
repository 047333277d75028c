package user

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/webhook/velero"
)

// group is the API group every handler here admits.
const group = "velero.io"

// validateFunc checks obj (old is nil on CREATE) and returns field errors
// and warnings.
type validateFunc[T client.Object] func(ctx context.Context, u velero.User, obj, old T) (field.ErrorList, admission.Warnings)

// mutator applies a defaulting function on CREATE and UPDATE.
type mutator[T client.Object] struct {
	// kind is the Kind admitted, e.g. "Backup"; hook names the webhook in metrics.
	kind, hook string
	// onUpdate also defaults on spec-changing UPDATEs when true.
	onUpdate bool
	// specEqual reports whether two objects have the same spec.
	specEqual func(a, b T) bool
	// spec returns a pointer to the object's spec, the only part defaults
	// change; specCopy a pointer to a deep copy of it.
	spec, specCopy func(obj T) any
	// defaults fills obj in place; its warnings say which values it
	// changed that the requester had set (a correction is never silent).
	defaults func(ctx context.Context, obj T) (admission.Warnings, error)
	// validate, when set, also checks the defaulted object and denies it in
	// the same call, so that admitting it takes one webhook call instead of
	// a mutating and a validating one (see Configurations).
	validate validateFunc[T]
	metrics  *Metrics
}

// validator runs a validation function on CREATE and UPDATE.
type validator[T client.Object] struct {
	kind, hook string
	validate   validateFunc[T]
	metrics    *Metrics
}

// errNoObject and friends are the client mistakes every handler reports.
var (
	errNoObject    = errors.New("the AdmissionReview request has no object")
	errNoOldObject = errors.New("an UPDATE AdmissionReview must carry oldObject")
)

// checkKind rejects a review for another kind than the endpoint serves.
func checkKind(req admission.Request, want string) error {
	if req.Kind.Group != group || req.Kind.Kind != want {
		return fmt.Errorf("this endpoint admits %s/%s, not %q (group %q); check the webhook configuration's rules", group, want, req.Kind.Kind, req.Kind.Group)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (m *mutator[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, m.kind, m.hook, m.metrics, m.review)
}

// review defaults obj and answers with the JSON patch of the change, after
// validating the result when the mutator validates too.
func (m *mutator[T]) review(ctx context.Context, req admission.Request, obj, old T, raw rawReview) (admission.Response, field.ErrorList) {
	if req.Operation == admissionv1.Update && (!m.onUpdate || m.specEqual(old, obj)) {
		return admission.Allowed(""), nil
	}
	before, annotations := m.specCopy(obj), maps.Clone(obj.GetAnnotations())
	warns, err := m.defaults(ctx, obj)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("default %s %q: %w", m.kind, obj.GetName(), err)), nil
	}
	if m.validate != nil {
		errs, w := m.validate(ctx, userOf(req), obj, old)
		warns = append(warns, w...)
		if len(errs) > 0 {
			return deny(ctx, req, m.kind, obj, errs, warns), errs
		}
	}
	ops, err := specPatch(before, m.spec(obj), raw)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("patch %s %q: %w", m.kind, obj.GetName(), err)), nil
	}
	ops = append(ops, annotationPatch(annotations, obj.GetAnnotations())...)
	if len(ops) == 0 {
		return admission.Allowed("").WithWarnings(warns...), nil
	}
	return admission.Patched("", ops...).WithWarnings(warns...), nil
}

// ServeHTTP implements http.Handler.
func (v *validator[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, v.kind, v.hook, v.metrics, v.review)
}

// review validates obj (against old on UPDATE).
func (v *validator[T]) review(ctx context.Context, req admission.Request, obj, old T, _ rawReview) (admission.Response, field.ErrorList) {
	errs, warns := v.validate(ctx, userOf(req), obj, old)
	if len(errs) == 0 {
		return admission.Allowed("").WithWarnings(warns...), nil
	}
	return deny(ctx, req, v.kind, obj, errs, warns), errs
}

// userOf is the requester as the rules see it.
func userOf(req admission.Request) velero.User {
	extra := make(map[string][]string, len(req.UserInfo.Extra))
	for k, v := range req.UserInfo.Extra {
		extra[k] = v
	}
	return velero.User{Name: req.UserInfo.Username, Groups: req.UserInfo.Groups, UID: req.UserInfo.UID, Extra: extra}
}

// deny answers a review whose object broke the rules: the message names
// the object, and each field error its field and rule.
func deny(ctx context.Context, req admission.Request, kind string, obj client.Object, errs field.ErrorList, warns admission.Warnings) admission.Response {
	msg := fmt.Sprintf("%s.%s %q is invalid: %s", kind, group, obj.GetName(), errs.ToAggregate().Error())
	logf.FromContext(ctx).Info("denied", "kind", kind, "namespace", obj.GetNamespace(), "name", obj.GetName(),
		"operation", req.Operation, "user", req.UserInfo.Username, "dryRun", req.DryRun != nil && *req.DryRun, "reason", msg)
	return admission.Denied(msg).WithWarnings(warns...)
}
