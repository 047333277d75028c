package user

import (
	"context"
	"fmt"
	"net/http"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// Paths of the requester gate alone: DownloadRequests and
// DeleteBackupRequests have no other rule (the other gated kinds are gated
// inside their own webhooks).
const (
	ValidateDownloadRequestPath     = "/validate-velero-io-v1-downloadrequest"
	ValidateDeleteBackupRequestPath = "/validate-velero-io-v1-deletebackuprequest"
)

// gated runs velerorules.ValidateRequester for resource before next (nil: the
// gate alone). A denial by the gate skips next.
func gated[T client.Object](cfg *velerorules.Config, az velerorules.Authorizer, resource string, next admit.ValidateFunc[T]) admit.ValidateFunc[T] {
	return func(ctx context.Context, req admission.Request, obj, old T) (field.ErrorList, admission.Warnings, error) {
		if errs := velerorules.ValidateRequester(ctx, cfg, az, userOf(req), resource); len(errs) > 0 {
			return errs, nil, nil
		}
		if next == nil {
			return nil, nil, nil
		}
		return next(ctx, req, obj, old)
	}
}

// gateRequesters puts the requester gate (velerorules.ValidateRequester) in front
// of the validation of Backups (CREATE in the mutating call, UPDATE in the
// validating one), Schedules and Restores, and adds the DownloadRequest
// webhook. az answers the SubjectAccessReviews; the Lookup passed to
// Handlers provides it (velerorules.Authorizer), and without one every requester
// nobody named is denied.
func gateRequesters(hs map[string]http.Handler, cfg *velerorules.Config, az velerorules.Authorizer, m *admit.Metrics) {
	if mb, ok := hs[MutateBackupPath].(*admit.Mutator[*velerov1.Backup]); ok {
		mb.Validate = gated(cfg, az, velerorules.ResourceBackups, mb.Validate)
	}
	if vb, ok := hs[ValidateBackupPath].(*admit.Validator[*velerov1.Backup]); ok {
		vb.Validate = gated(cfg, az, velerorules.ResourceBackups, vb.Validate)
	}
	if vs, ok := hs[ValidateSchedulePath].(*admit.Validator[*velerov1.Schedule]); ok {
		vs.Validate = gated(cfg, az, velerorules.ResourceSchedules, vs.Validate)
	}
	if vr, ok := hs[ValidateRestorePath].(*admit.Validator[*velerov1.Restore]); ok {
		vr.Validate = gated(cfg, az, velerorules.ResourceRestores, vr.Validate)
	}
	hs[ValidateDownloadRequestPath] = &admit.Validator[*velerov1.DownloadRequest]{
		Endpoint: endpoint(ValidateDownloadRequestPath, "DownloadRequest", m),
		Validate: gated[*velerov1.DownloadRequest](cfg, az, velerorules.ResourceDownloadRequests, nil),
	}
	hs[ValidateDeleteBackupRequestPath] = &admit.Validator[*velerov1.DeleteBackupRequest]{
		Endpoint: endpoint(ValidateDeleteBackupRequestPath, "DeleteBackupRequest", m),
		Validate: gated[*velerov1.DeleteBackupRequest](cfg, az, velerorules.ResourceDeleteBackupRequests, nil),
	}
}

// SARAuthorizer implements velerorules.Authorizer with SubjectAccessReviews
// through Client (the webhook's identity needs create on
// subjectaccessreviews.authorization.k8s.io).
type SARAuthorizer struct {
	Client client.Client
}

// Allowed implements velerorules.Authorizer.
func (a *SARAuthorizer) Allowed(ctx context.Context, u velerorules.User, attrs authorizationv1.ResourceAttributes) (bool, error) {
	extra := make(map[string]authorizationv1.ExtraValue, len(u.Extra))
	for k, v := range u.Extra {
		extra[k] = v
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &attrs, User: u.Name, Groups: u.Groups, UID: u.UID, Extra: extra,
	}}
	if err := a.Client.Create(ctx, sar); err != nil {
		return false, fmt.Errorf("subjectaccessreview: %w", err)
	}
	return sar.Status.Allowed, nil
}

// Allowed implements velerorules.Authorizer through l.Authorizer; without one it
// fails, so the gate denies.
func (l *InformerLookup) Allowed(ctx context.Context, u velerorules.User, attrs authorizationv1.ResourceAttributes) (bool, error) {
	if l.Authorizer == nil {
		return false, fmt.Errorf("the webhook has no authorizer")
	}
	return l.Authorizer.Allowed(ctx, u, attrs)
}
