package velerorules

import (
	"context"
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// secondDefault is the error for b, a BSL other than the managed one that
// asks to be the default. The message names only BSLs that exist:
//
//   - another BSL is the default now: it names that one;
//   - none is, and no BSL has the managed name either, while b sits on
//     exactly the managed location (bucket, endpoint, prefix): b is almost
//     certainly the managed BSL and the webhook was started with another
//     name (--managed-bsl-name, default "default"), so the message says
//     that and how to fix it rather than blaming a BSL that does not exist.
func secondDefault(ctx context.Context, cfg *Config, l Lookup, b *velerov1.BackupStorageLocation, fld *field.Path) *field.Error {
	current, err := currentDefault(ctx, cfg, l, b.Name)
	if err != nil {
		return field.InternalError(fld, err)
	}
	if current != "" {
		return field.Forbidden(fld, fmt.Sprintf(
			"BSL %q is already the default; only the managed BSL %q may be the default in this cluster", current, cfg.ManagedBSLName))
	}
	msg := fmt.Sprintf("only the managed BSL %q may be the default in this cluster", cfg.ManagedBSLName)
	managed, err := l.BSL(ctx, cfg.ManagedBSLName)
	if err != nil {
		return field.InternalError(fld, fmt.Errorf("read the managed BSL %q: %w", cfg.ManagedBSLName, err))
	}
	if managed == nil && onManagedLocation(cfg, b) {
		msg += fmt.Sprintf(", and no BSL %q exists; this BSL is on the managed storage, so if it is the managed BSL, "+
			"the webhook's managed BSL name is wrong: run it with --managed-bsl-name=%s (see clusterbackup webhook-config)",
			cfg.ManagedBSLName, b.Name)
	}
	return field.Forbidden(fld, msg)
}

// currentDefault names the BSL other than self that is the default now,
// preferring the managed one; "" when there is none.
func currentDefault(ctx context.Context, cfg *Config, l Lookup, self string) (string, error) {
	all, err := l.BSLs(ctx)
	if err != nil {
		return "", fmt.Errorf("list BSLs: %w", err)
	}
	found := ""
	for _, o := range all {
		if !o.Spec.Default || o.Name == self {
			continue
		}
		if o.Name == cfg.ManagedBSLName {
			return o.Name, nil
		}
		found = o.Name
	}
	return found, nil
}

// onManagedLocation reports whether b points at exactly the managed
// bucket, endpoint and prefix.
func onManagedLocation(cfg *Config, b *velerov1.BackupStorageLocation) bool {
	loc := LocationOf(b)
	return sameStorage(loc, cfg.Managed) && prefix.Equal(loc.Prefix, cfg.Managed.Prefix)
}

// MisnamedManagedBSL returns the name of a BSL in Velero's namespace that
// sits on exactly the managed location while no BSL has the managed name,
// "" otherwise: the webhook was most likely started with the wrong
// --managed-bsl-name, and every write of that BSL as the default will be
// denied. The server logs it once its informers have synced, before the
// first denial.
func MisnamedManagedBSL(cfg *Config, bsls []velerov1.BackupStorageLocation) string {
	found := ""
	for i := range bsls {
		b := &bsls[i]
		if b.Namespace != cfg.Namespace {
			continue
		}
		if b.Name == cfg.ManagedBSLName {
			return ""
		}
		if found == "" && onManagedLocation(cfg, b) {
			found = b.Name
		}
	}
	return found
}
