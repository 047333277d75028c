package s3check

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Evaluation is the outcome of validating and checking one CBSL.
type Evaluation struct {
	// Errors are broken rules; when there are any, no check ran.
	Errors field.ErrorList
	// Warnings are accepted risks, from validation and from the check.
	Warnings []string
	// Check is the reachability result; nil when validation failed.
	Check *Result
}

// Evaluate runs the full seed-side judgement of a CBSL, the same for the
// seed webhook, the CBSL status loop and `clusterbackup check`: pure
// validation, the credential (and CA) Secrets, then the reachability check
// with the CBSL's own credentials. The error is for failures to read
// Secrets, not for problems of the CBSL.
func Evaluate(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, secrets storage.SecretGetter, checker *Checker, probeIsolation bool) (Evaluation, error) {
	var ev Evaluation
	loc, errs, warnings, err := storage.Resolve(ctx, c, secrets)
	ev.Errors, ev.Warnings = errs, warnings
	if err != nil || len(errs) > 0 {
		return ev, err
	}
	t := TargetFrom(loc)
	t.ProbeIsolation = probeIsolation
	r := checker.Check(ctx, t)
	ev.Check = &r
	ev.Warnings = append(ev.Warnings, r.Warnings...)
	return ev, nil
}
