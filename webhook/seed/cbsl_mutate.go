package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// CBSLMutator is the mutating webhook for CBSLs: it applies DefaultCBSL.
// Reviews of another kind or operation, or without a request, are answered
// with a 400 (accepts).
type CBSLMutator struct{}

// Handle implements admission.Handler.
func (m *CBSLMutator) Handle(_ context.Context, req admission.Request) admission.Response {
	if r, bad := mutateCBSLAccepts.refuse(req); bad {
		return r
	}
	var c kkpv1.ClusterBackupStorageLocation
	if err := json.Unmarshal(req.Object.Raw, &c); err != nil {
		return badRequest(fmt.Errorf("decode clusterbackupstoragelocation: %w", err))
	}
	storage.DefaultCBSL(&c)
	out, err := json.Marshal(&c)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, out)
}
