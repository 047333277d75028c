package admit

import (
	"context"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// logReview logs an answered review at verbosity 1 (`--v=1`): kind,
// namespace, name, operation, user, dry-run, the outcome (allowed, patched,
// denied, errored), the paths a patch sets and the warnings. Denials are
// already logged at verbosity 0 with their reason (deny), so they are not
// repeated here. Velero objects hold no secrets (a BSL's credential is a
// Secret reference), and patch values are not logged at all.
func logReview(ctx context.Context, kind string, req admission.Request, resp admission.Response) {
	l := logr.FromContextOrDiscard(ctx).V(1)
	if !l.Enabled() {
		return
	}
	outcome := Outcome(resp)
	if outcome == OutcomeDenied {
		return
	}
	kv := []any{"kind", kind, "namespace", req.Namespace, "name", req.Name, "operation", req.Operation,
		"user", req.UserInfo.Username, "dryRun", req.DryRun != nil && *req.DryRun, "outcome", outcome}
	if len(resp.Patches) > 0 {
		paths := make([]string, len(resp.Patches))
		for i, p := range resp.Patches {
			paths[i] = p.Operation + " " + p.Path
		}
		kv = append(kv, "patch", paths)
	}
	if len(resp.Warnings) > 0 {
		kv = append(kv, "warnings", resp.Warnings)
	}
	if outcome == OutcomeErrored {
		kv = append(kv, "code", resp.Result.Code, "message", resp.Result.Message)
	}
	l.Info("review", kv...)
}
