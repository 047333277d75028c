package seed

import (
	"context"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// CBSLMutator is the mutating webhook for CBSLs: it applies
// storage.DefaultCBSL on CREATE and UPDATE and patches only the spec
// members the defaults changed (members the compiled type does not know
// stay as they are).
type CBSLMutator struct {
	// Metrics are optional.
	Metrics *Metrics

	handler built
}

// ServeHTTP implements http.Handler.
func (m *CBSLMutator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.serve(w, r, m.build)
}

// build returns the admit handler of m.
func (m *CBSLMutator) build() http.Handler {
	return &admit.Mutator[*kkpv1.ClusterBackupStorageLocation]{
		Endpoint: endpoint(MutateCBSLPath, m.Metrics), OnUpdate: true,
		Spec:     func(c *kkpv1.ClusterBackupStorageLocation) any { return &c.Spec },
		SpecCopy: func(c *kkpv1.ClusterBackupStorageLocation) any { return c.Spec.DeepCopy() },
		Default: func(_ context.Context, c *kkpv1.ClusterBackupStorageLocation) (admission.Warnings, error) {
			storage.DefaultCBSL(c)
			return nil, nil
		},
	}
}
