package velerorules

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// ValidateSchedule checks a Schedule on CREATE (old nil) or on an UPDATE
// that changes the spec: the cron expression with Velero's semantics, and
// the template like a new Backup.
func ValidateSchedule(ctx context.Context, cfg *Config, l Lookup, _ User, s, old *velerov1.Schedule) (field.ErrorList, admission.Warnings) {
	if s.Namespace != cfg.Namespace {
		return nil, nil
	}
	if old != nil && equality.Semantic.DeepEqual(old.Spec, s.Spec) {
		return nil, nil
	}
	spec := field.NewPath("spec")
	errs := ValidateCron(s.Spec.Schedule, spec.Child("schedule"))
	e, w := ValidateBackupSpec(ctx, cfg, l, &s.Spec.Template, spec.Child("template"), true)
	return append(errs, e...), w
}

// MinEvery is the shortest "@every" interval admitted.
const MinEvery = time.Minute

// ValidateCron parses expr the way Velero's schedule controller does:
// robfig/cron's standard parser (5 fields, descriptors such as "@daily"
// and "@every 6h", an optional CRON_TZ= prefix). Velero guards the parser
// with recover(); so does this.
func ValidateCron(expr string, fld *field.Path) (errs field.ErrorList) {
	if expr == "" {
		return field.ErrorList{field.Required(fld, "a cron expression (5 fields, or a descriptor such as @daily or @every 6h) is required")}
	}
	defer func() {
		if r := recover(); r != nil {
			errs = field.ErrorList{field.Invalid(fld, expr, fmt.Sprintf("not a valid cron expression: %v", r))}
		}
	}()
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return field.ErrorList{field.Invalid(fld, expr, fmt.Sprintf("not a valid cron expression (5 fields, or a descriptor such as @daily or @every 6h): %v", err))}
	}
	// Velero accepts "@every 1s" and even "@every -1h" (clamped to 1s); a
	// backup per second is never meant, so the interval has a floor.
	if d, ok := sched.(cron.ConstantDelaySchedule); ok && d.Delay < MinEvery {
		return field.ErrorList{field.Invalid(fld, expr, fmt.Sprintf("@every runs a backup every %s; the interval must be at least %s", d.Delay, MinEvery))}
	}
	return nil
}
