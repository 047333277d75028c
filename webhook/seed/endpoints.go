package seed

import (
	"net/http"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// The kinds the seed's handlers admit.
var (
	cbslKind    = metav1.GroupVersionKind{Group: kkpv1.GroupVersion.Group, Version: kkpv1.GroupVersion.Version, Kind: kkpv1.KindClusterBackupStorageLocation}
	clusterKind = metav1.GroupVersionKind{Group: kkpv1.GroupVersion.Group, Version: kkpv1.GroupVersion.Version, Kind: kkpv1.KindCluster}
)

// endpoints are the registrations of the seed's handlers: the kind and the
// operations Configurations registers for each path. Any other review is
// answered with a 400 before a rule reads it, so a forged review cannot
// pass as something the rules never judged.
var endpoints = map[string]admit.Endpoint{
	MutateCBSLPath:      {Kind: cbslKind, Hook: "mutate-cbsl", Ops: []admissionv1.Operation{admissionv1.Create, admissionv1.Update}},
	ValidateCBSLPath:    {Kind: cbslKind, Hook: "validate-cbsl", Ops: []admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete}},
	ValidateClusterPath: {Kind: clusterKind, Hook: "validate-cluster", Ops: []admissionv1.Operation{admissionv1.Create, admissionv1.Update}},
}

// endpoint is the registration at path, counted in m (nil: not counted).
func endpoint(path string, m *Metrics) admit.Endpoint {
	e := endpoints[path]
	e.Metrics = m.reviews()
	return e
}

// built is a handler built once, on its first review, from the fields of
// the struct that holds it (set before it serves).
type built struct {
	once sync.Once
	h    http.Handler
}

// serve answers r with the handler build returns, built on first use.
func (b *built) serve(w http.ResponseWriter, r *http.Request, build func() http.Handler) {
	b.once.Do(func() { b.h = build() })
	b.h.ServeHTTP(w, r)
}
