package renderer

import (
	"context"
	"encoding/base64"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// The life cycle of a cluster's release never loses backups (docs/lifecycle.md):
//
//   - Switching storage (a new CBSL): the managed BSL points at the new
//     storage; each previous location is rendered as a read-only, non-default
//     BSL on the OLD CBSL's join(prefix, project, cluster), so its backups stay
//     listable and restorable.
//   - Disabling (the chart's value disabled, so helm template and Flux get
//     the same release): the workloads (Deployment, DaemonSet, RBAC, Secret,
//     restore helper ConfigMap, webhook objects) are dropped; the CRDs, the
//     Namespace, every BSL (made ReadOnly), the Schedules (kept, paused,
//     synced before the BSLs: dropping a Schedule would let Kubernetes
//     garbage-collect the Backups it owns) and the admission policies with
//     their parameters stay. Overlays are not applied: they change only
//     objects a disabled release drops.
//   - Purging: the only way to render no CRDs and no BSLs; only together
//     with Disabled. Because every kept object is prune-safe, applying a purge
//     render deletes nothing by itself: it makes the removal visible to Diff,
//     which refuses it unless allowed, and the operator deletes on purpose.

// LifecycleAnnotation marks objects the life cycle changed
// (value "disabled": made ReadOnly or paused because backup is disabled).
const LifecycleAnnotation = "clusterbackup.io/lifecycle"

// PreviousLocationLabel marks the read-only BSLs of previous locations.
const PreviousLocationLabel = "clusterbackup.io/previous-location"

// PreviousLocation is one of a cluster's earlier storage locations, kept as
// a read-only, non-default BSL after a storage switch.
type PreviousLocation struct {
	// Name is the BSL's name. Default "previous-" + CBSL.Name.
	Name string
	// CBSL is the old ClusterBackupStorageLocation: its bucket, prefix
	// (the cluster's project and cluster IDs are appended), config and
	// caCert. Required.
	CBSL *kkpv1.ClusterBackupStorageLocation
}

// BSLName returns the BSL name of the previous location.
func (p PreviousLocation) BSLName() string {
	if p.Name != "" {
		return p.Name
	}
	if p.CBSL == nil {
		return ""
	}
	return "previous-" + p.CBSL.Name
}

// Lifecycle says where a cluster's release is in its life cycle. The zero
// value renders the plain, enabled release.
type Lifecycle struct {
	// Previous are the cluster's earlier storage locations, rendered as
	// read-only BSLs. Removing one retires it (its BSL stays in the cluster
	// until deleted on purpose). Default none.
	Previous []PreviousLocation
	// Disabled drops the workloads and keeps everything that holds or
	// points at backups (see the package comment above). Default false.
	Disabled bool
	// Purge renders nothing at all: no CRDs, no BSLs. Only with Disabled.
	// Default false.
	Purge bool
	// BSLName names this cluster's managed BSL, overriding Options.BSLName
	// (the release loop keeps each cluster's name: KKPBSLName for clusters
	// it enables first, "default" for those it rendered before). A BSL is
	// never renamed: Velero's backup sync deletes the Backup objects
	// labelled with a BSL name whose store lacks them. Default
	// Options.BSLName.
	BSLName string
}

// managedName is the managed BSL's name for opts.
func (lc Lifecycle) managedName(opts Options) string {
	switch {
	case lc.BSLName != "":
		return lc.BSLName
	case opts.BSLName != "":
		return opts.BSLName
	}
	return "default"
}

// Validate checks the life cycle for in: each previous location's CBSL
// (storage.ValidateCBSL) and that it belongs to the cluster's project, unique BSL
// names other than the managed one, and no previous location equal to or
// nested with the managed prefix on the same storage (Velero would mark one
// of them invalid).
func (lc Lifecycle) Validate(in Input, opts Options) field.ErrorList {
	var errs field.ErrorList
	root := field.NewPath("lifecycle")
	if lc.Purge && !lc.Disabled {
		errs = append(errs, field.Forbidden(root.Child("purge"), "a purge is only possible for a disabled cluster; set disabled as well"))
	}
	managedName := lc.managedName(opts)
	for _, msg := range validation.IsDNS1123Subdomain(lc.BSLName) {
		if lc.BSLName != "" {
			errs = append(errs, field.Invalid(root.Child("bslName"), lc.BSLName, msg))
		}
	}
	managedPrefix, _ := in.Prefix()
	seen := map[string]bool{}
	for i, p := range lc.Previous {
		fp := root.Child("previous").Index(i)
		if p.CBSL == nil {
			errs = append(errs, field.Required(fp.Child("cbsl"), "the old ClusterBackupStorageLocation is required"))
			continue
		}
		el, _ := storage.ValidateCBSL(p.CBSL, fp.Child("cbsl"))
		errs = append(errs, el...)
		if pid := p.CBSL.Labels[kkpv1.ProjectIDLabel]; pid != in.ProjectID() {
			errs = append(errs, field.Forbidden(fp.Child("cbsl").Child("metadata", "labels").Key(kkpv1.ProjectIDLabel),
				fmt.Sprintf("ClusterBackupStorageLocation %q belongs to project %q, not to the cluster's project %q; a previous location must be the project's own storage", p.CBSL.Name, pid, in.ProjectID())))
		}
		name := p.BSLName()
		switch {
		case name == managedName:
			errs = append(errs, field.Invalid(fp.Child("name"), name, "is the managed BSL's name; a previous location needs a name of its own"))
		case seen[name]:
			errs = append(errs, field.Duplicate(fp.Child("name"), name))
		}
		seen[name] = true
		os := p.CBSL.Spec.ObjectStorage
		if os == nil || in.CBSL == nil || in.CBSL.Spec.ObjectStorage == nil || managedPrefix == "" {
			continue
		}
		old, el := prefix.Join(os.Prefix, in.ProjectID(), in.ClusterID())
		if len(el) > 0 {
			continue // reported by ValidateCBSL
		}
		cur := in.CBSL.Spec.ObjectStorage
		if os.Bucket == cur.Bucket && storage.SameEndpoint(p.CBSL.Spec.Config[storage.ConfigS3URL], in.CBSL.Spec.Config[storage.ConfigS3URL]) && prefix.Nested(old, managedPrefix) {
			errs = append(errs, field.Invalid(fp.Child("cbsl"), old, fmt.Sprintf(
				"the previous prefix and the managed prefix %q are the same or nested on bucket %q; Velero would mark one of the BSLs invalid", managedPrefix, os.Bucket)))
		}
	}
	return errs
}

// LifecycleValues returns the chart values a life cycle adds: disabled,
// and previousLocations, cluster-independent (the chart appends the IDs to each
// old CBSL prefix, for the BSLs, the webhook's --previous-location flags and
// the admission policies' parameters), so clusters that switched from the
// same CBSL share one cached render shape.
func LifecycleValues(lc Lifecycle) map[string]any {
	out := map[string]any{}
	if lc.Disabled {
		out["disabled"] = true
	}
	if lc.BSLName != "" {
		out["bsl"] = map[string]any{"name": lc.BSLName}
	}
	if len(lc.Previous) == 0 {
		return out
	}
	var locs []any
	for _, p := range lc.Previous {
		os := p.CBSL.Spec.ObjectStorage
		l := map[string]any{"name": p.BSLName(), "bucket": os.Bucket}
		if os.Prefix != "" {
			l["prefix"] = os.Prefix
		}
		if len(p.CBSL.Spec.Config) > 0 {
			cfg := make(map[string]any, len(p.CBSL.Spec.Config))
			for k, v := range p.CBSL.Spec.Config {
				cfg[k] = v
			}
			l["config"] = cfg
		}
		if len(os.CACert) > 0 {
			l["caCert"] = base64.StdEncoding.EncodeToString(os.CACert)
		}
		locs = append(locs, l)
	}
	out["previousLocations"] = locs
	return out
}

// RenderLifecycle renders one cluster like Render, with its life cycle:
// previous locations as read-only BSLs, the disabled release, or nothing
// for a purge. With the zero Lifecycle it returns exactly Render's output.
func (r *Renderer) RenderLifecycle(ctx context.Context, in Input, lc Lifecycle) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	vals, err := Values(in, r.opts)
	if err != nil {
		return Result{}, err
	}
	if errs := lc.Validate(in, r.opts); len(errs) > 0 {
		return Result{}, clusterError(in.ClusterSource, in.Cluster, errs)
	}
	if lc.Purge {
		return Result{Input: in}, nil
	}
	mergeInto(vals, LifecycleValues(lc))
	return r.renderValues(in, vals)
}

// KKPBSLName is the name KKP's own controller gives a user cluster's BSL
// and KKP's dashboard writes into Backups and Schedules (kkpv1.KKPBSLName).
const KKPBSLName = kkpv1.KKPBSLName

// KKPPreviousLocation returns the location KKP's own controller used for
// in's cluster, as a previous location, for a cluster moved from KKP's
// controller to clusterbackup: KKP replaces the CBSL prefix with
// <projectID>/<clusterID>, clusterbackup appends the IDs to it. The BSL is
// named KKPBSLName, so it takes over KKP's BSL object in place (read-only,
// no longer the default) and the Backups that name it keep a valid storage
// location. ok is false when the CBSL has no prefix: then both layouts are
// the same location and nothing needs keeping.
func KKPPreviousLocation(in Input) (p PreviousLocation, ok bool) {
	if in.CBSL == nil || in.CBSL.Spec.ObjectStorage == nil || prefix.Normalize(in.CBSL.Spec.ObjectStorage.Prefix) == "" {
		return PreviousLocation{}, false
	}
	old := in.CBSL.DeepCopy()
	old.Spec.ObjectStorage.Prefix = "" // the chart appends <projectID>/<clusterID>
	return PreviousLocation{Name: KKPBSLName, CBSL: old}, true
}
