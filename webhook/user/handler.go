package user

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	kjson "sigs.k8s.io/json"

	"github.com/clusterbackup/clusterbackup/webhook/velero"
)

// group is the API group every handler here admits.
const group = "velero.io"

// kind describes one admitted kind to the generic handlers.
type kind[T client.Object] struct {
	// name is the Kind, e.g. "Backup".
	name string
	// newObj returns an empty object to decode into.
	newObj func() T
}

// mutator applies a defaulting function on CREATE and UPDATE.
type mutator[T client.Object] struct {
	kind[T]
	hook string
	// onUpdate also defaults on spec-changing UPDATEs when true.
	onUpdate bool
	// specEqual reports whether two objects have the same spec.
	specEqual func(a, b T) bool
	// spec returns the object's spec, the only part defaults change.
	spec     func(obj T) any
	defaults func(ctx context.Context, obj T) error
	metrics  *Metrics
}

// validator runs a validation function on CREATE and UPDATE.
type validator[T client.Object] struct {
	kind[T]
	hook     string
	validate func(ctx context.Context, u velero.User, obj, old T) (field.ErrorList, admission.Warnings)
	metrics  *Metrics
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

// decode reads raw JSON into a fresh object, case-sensitively like the API server.
func (k kind[T]) decode(raw []byte, what string) (T, error) {
	obj := k.newObj()
	if len(raw) == 0 {
		return obj, errNoObject
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, obj); err != nil {
		return obj, fmt.Errorf("decode %s as %s: %w", what, k.name, err)
	}
	return obj, nil
}

// Handle implements admission.Handler.
func (m *mutator[T]) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := m.handle(ctx, req)
	m.metrics.observe(m.hook, req, resp, nil)
	return resp
}

func (m *mutator[T]) handle(ctx context.Context, req admission.Request) admission.Response {
	if err := checkKind(req, m.name); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	obj, err := m.decode(req.Object.Raw, "object")
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		if !m.onUpdate {
			return admission.Allowed("")
		}
		old, err := m.decode(req.OldObject.Raw, "oldObject")
		if errors.Is(err, errNoObject) {
			return admission.Errored(http.StatusBadRequest, errNoOldObject)
		}
		if err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if m.specEqual(old, obj) {
			return admission.Allowed("")
		}
	}
	if err := m.defaults(ctx, obj); err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("default %s %q: %w", m.name, obj.GetName(), err))
	}
	ops, err := specPatch(req.Object.Raw, m.spec(obj))
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("patch %s %q: %w", m.name, obj.GetName(), err))
	}
	if len(ops) == 0 {
		return admission.Allowed("")
	}
	return admission.Patched("", ops...)
}

// Handle implements admission.Handler.
func (v *validator[T]) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp, errs := v.handle(ctx, req)
	v.metrics.observe(v.hook, req, resp, errs)
	return resp
}

func (v *validator[T]) handle(ctx context.Context, req admission.Request) (admission.Response, field.ErrorList) {
	if err := checkKind(req, v.name); err != nil {
		return admission.Errored(http.StatusBadRequest, err), nil
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed(""), nil
	}
	obj, err := v.decode(req.Object.Raw, "object")
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err), nil
	}
	var old T
	if req.Operation == admissionv1.Update {
		o, err := v.decode(req.OldObject.Raw, "oldObject")
		if errors.Is(err, errNoObject) {
			return admission.Errored(http.StatusBadRequest, errNoOldObject), nil
		}
		if err != nil {
			return admission.Errored(http.StatusBadRequest, err), nil
		}
		old = o
	}
	u := velero.User{Name: req.UserInfo.Username, Groups: req.UserInfo.Groups}
	errs, warns := v.validate(ctx, u, obj, old)
	if len(errs) == 0 {
		return admission.Allowed("").WithWarnings(warns...), nil
	}
	msg := fmt.Sprintf("%s.%s %q is invalid: %s", v.name, group, obj.GetName(), errs.ToAggregate().Error())
	logf.FromContext(ctx).Info("denied", "kind", v.name, "namespace", obj.GetNamespace(), "name", obj.GetName(),
		"operation", req.Operation, "user", req.UserInfo.Username, "dryRun", req.DryRun != nil && *req.DryRun, "reason", msg)
	return admission.Denied(msg).WithWarnings(warns...), errs
}
