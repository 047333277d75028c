package seed

import (
	"fmt"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// accepts describes the reviews a seed handler is registered for
// (Configurations): one kind and its operations. controller-runtime's
// webhook.Admission already answers an empty body, a body it cannot read or
// decode and a wrong content type with a 400; a review that decodes but
// carries no request reaches the handler as a zero Request. Anything the API
// server would never send under the registration — no request, another
// operation, another kind — is answered with a 400 before the handler reads
// it, so a forged review cannot pass as something the rules never judged.
type accepts struct {
	kind metav1.GroupVersionKind
	ops  []admissionv1.Operation
}

// The registrations of the seed's handlers.
var (
	cbslKind    = metav1.GroupVersionKind{Group: kkpv1.GroupVersion.Group, Version: kkpv1.GroupVersion.Version, Kind: kkpv1.KindClusterBackupStorageLocation}
	clusterKind = metav1.GroupVersionKind{Group: kkpv1.GroupVersion.Group, Version: kkpv1.GroupVersion.Version, Kind: kkpv1.KindCluster}

	mutateCBSLAccepts      = accepts{cbslKind, []admissionv1.Operation{admissionv1.Create, admissionv1.Update}}
	validateCBSLAccepts    = accepts{cbslKind, []admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete}}
	validateClusterAccepts = accepts{clusterKind, []admissionv1.Operation{admissionv1.Create, admissionv1.Update}}
)

// refuse returns a 400 answer and true when req is not a review this
// handler is registered for. Messages quote nothing from the request but
// its operation and kind, bounded.
func (a accepts) refuse(req admission.Request) (admission.Response, bool) {
	switch {
	case req.Operation == "" && req.Kind == (metav1.GroupVersionKind{}):
		return badRequest(fmt.Errorf("the admission review holds no request")), true
	case !slices.Contains(a.ops, req.Operation):
		return badRequest(fmt.Errorf("operation %.32q is not one this webhook is registered for (%v)", req.Operation, a.ops)), true
	case req.Kind != a.kind:
		return badRequest(fmt.Errorf("request.kind %.96q is not %q: this webhook judges %s only",
			gvk(req.Kind), gvk(a.kind), a.kind.Kind)), true
	}
	return admission.Response{}, false
}

// gvk spells a kind as group/version, Kind=kind.
func gvk(k metav1.GroupVersionKind) string {
	return k.Group + "/" + k.Version + ", Kind=" + k.Kind
}
