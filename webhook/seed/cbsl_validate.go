package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/metricsreg"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// CBSLValidator is the validating webhook for CBSLs.
//
// CREATE, and UPDATE that changes the spec: full validation, the credential
// Secret, and the reachability check (dry-run requests alike; the check only
// reads). UPDATE that leaves the spec alone (status, metadata, finalizers)
// never re-checks: only the project-id label is validated, and it may not
// change while clusters use the CBSL. DELETE is denied while clusters still
// reference the CBSL. Reviews of another kind or operation, or without a
// request, are answered with a 400 (accepts).
type CBSLValidator struct {
	// Reader reads Clusters (uncached), and Secrets unless Secrets is set.
	Reader client.Reader
	// Secrets reads credential Secrets. Default ReaderSecrets(Reader).
	Secrets storage.SecretGetter
	// Checker runs the reachability checks.
	Checker *s3check.Checker
	// Options are the completed seed options (Mode, CBSLNamespace,
	// ProbeIsolation).
	Options Options
	// Metrics are optional.
	Metrics *Metrics
}

// Handle implements admission.Handler.
func (v *CBSLValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	r := v.handle(ctx, req)
	v.Metrics.review("cbsl", metricsreg.OperationLabel(string(req.Operation)), outcome(r))
	return r
}

func (v *CBSLValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if r, bad := validateCBSLAccepts.refuse(req); bad {
		return r
	}
	if req.Operation == admissionv1.Delete {
		return v.handleDelete(ctx, req)
	}
	var c kkpv1.ClusterBackupStorageLocation
	if err := json.Unmarshal(req.Object.Raw, &c); err != nil {
		return badRequest(fmt.Errorf("decode clusterbackupstoragelocation: %w", err))
	}
	if req.Operation == admissionv1.Update {
		var old kkpv1.ClusterBackupStorageLocation
		if len(req.OldObject.Raw) == 0 {
			return badRequest(fmt.Errorf("update of clusterbackupstoragelocation %q without oldObject", req.Name))
		}
		if err := json.Unmarshal(req.OldObject.Raw, &old); err != nil {
			return badRequest(fmt.Errorf("decode old clusterbackupstoragelocation: %w", err))
		}
		// Compare with the old spec as the mutating webhook would have
		// defaulted it, so that defaults filled into an object created
		// before the webhook existed do not count as a spec change.
		oldDefaulted := old.DeepCopy()
		storage.DefaultCBSL(oldDefaulted)
		if equality.Semantic.DeepEqual(old.Spec, c.Spec) || equality.Semantic.DeepEqual(oldDefaulted.Spec, c.Spec) {
			return v.handleMetadataUpdate(ctx, &old, &c)
		}
	}
	return v.judge(ctx, &c, req.Operation == admissionv1.Create)
}

// judge validates and checks a new or changed CBSL. A new CBSL whose only
// problem is that its credential Secret does not exist yet is admitted
// unchecked with a warning: KKP's dashboard creates the CBSL first and the
// Secret right after it (owned by the CBSL); the status loop checks the
// CBSL once the Secret exists.
func (v *CBSLValidator) judge(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, create bool) admission.Response {
	log := logf.FromContext(ctx).WithValues("clusterbackupstoragelocation", c.Namespace+"/"+c.Name)
	secrets := v.Secrets
	if secrets == nil {
		secrets = storage.ReaderSecrets(v.Reader)
	}
	if errs, err := v.nesting(ctx, c); err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	} else if len(errs) > 0 {
		log.Info("denied: nests with another storage location")
		return invalid(cbslGroupKind, c.Name, errs, nil)
	}
	ev, err := s3check.Evaluate(ctx, c, secrets, v.Checker, v.Options.ProbeIsolation)
	if err != nil {
		log.Error(err, "cannot read the credential secret")
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("read secrets of clusterbackupstoragelocation %q: %w", c.Name, err))
	}
	if create && secretNotYetCreated(ev.Errors) {
		log.Info("admitted unchecked: credential secret not found yet")
		return admission.Allowed("").WithWarnings(append([]string{fmt.Sprintf(
			"secret %s/%s not found yet: admitted unchecked; the status loop checks it once it exists", c.Namespace, c.Spec.Credential.Name)}, ev.Warnings...)...)
	}
	if len(ev.Errors) > 0 {
		log.Info("denied: invalid", "errors", len(ev.Errors))
		return invalid(cbslGroupKind, c.Name, ev.Errors, ev.Warnings)
	}
	r := ev.Check
	v.Metrics.check(r)
	log.Info("reachability check", "class", r.Class, "cached", r.Cached, "duration", r.Duration.String(), "message", r.Message)
	if r.OK() {
		return admission.Allowed("").WithWarnings(ev.Warnings...)
	}
	msg := fmt.Sprintf("clusterbackupstoragelocation %q: S3 check failed (%s): %s", c.Name, r.Class, r.Message)
	if v.Options.Mode == ModeWarn {
		return admission.Allowed("").WithWarnings(append([]string{msg}, ev.Warnings...)...)
	}
	return admission.Denied(msg).WithWarnings(ev.Warnings...)
}

// handleMetadataUpdate covers updates that leave the spec unchanged.
func (v *CBSLValidator) handleMetadataUpdate(ctx context.Context, old, c *kkpv1.ClusterBackupStorageLocation) admission.Response {
	if c.DeletionTimestamp != nil {
		return admission.Allowed("")
	}
	if errs := storage.ValidateProjectLabel(c.Labels, nil); len(errs) > 0 {
		return invalid(cbslGroupKind, c.Name, errs, nil)
	}
	if old.Labels[kkpv1.ProjectIDLabel] == c.Labels[kkpv1.ProjectIDLabel] {
		return admission.Allowed("")
	}
	users, err := v.referencing(ctx, c.Namespace, c.Name)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if len(users) > 0 {
		return invalid(cbslGroupKind, c.Name, field.ErrorList{field.Forbidden(field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel),
			fmt.Sprintf("cannot move to another project while clusters use it: %s", nameList(users)))}, nil)
	}
	return admission.Allowed("")
}

// handleDelete denies deleting a CBSL that clusters still reference.
func (v *CBSLValidator) handleDelete(ctx context.Context, req admission.Request) admission.Response {
	users, err := v.referencing(ctx, req.Namespace, req.Name)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if len(users) == 0 {
		return admission.Allowed("")
	}
	logf.FromContext(ctx).Info("denied: delete of a referenced clusterbackupstoragelocation", "clusterbackupstoragelocation", req.Namespace+"/"+req.Name, "clusters", len(users))
	return admission.Denied(fmt.Sprintf("clusterbackupstoragelocation %q is still used by %d cluster(s): %s; point their spec.backupConfig.backupStorageLocation elsewhere first",
		req.Name, len(users), nameList(users)))
}

// referencing lists the clusters that use the CBSL ns/name. Clusters name
// CBSLs in CBSLNamespace only.
func (v *CBSLValidator) referencing(ctx context.Context, ns, name string) ([]string, error) {
	if ns != v.Options.CBSLNamespace {
		return nil, nil
	}
	var list kkpv1.ClusterList
	if err := v.Reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list clusters using clusterbackupstoragelocation %q: %w", name, err)
	}
	return ReferencingClusters(list.Items, name), nil
}

// secretNotYetCreated reports whether the only broken rule is a credential
// Secret that does not exist.
func secretNotYetCreated(errs field.ErrorList) bool {
	return len(errs) == 1 && errs[0].Type == field.ErrorTypeNotFound && errs[0].Field == "spec.credential.name"
}

// nesting refuses a CBSL whose project area (storage.ProjectArea) nests with
// another CBSL's on the same storage (storage.AreasNest), naming it.
func (v *CBSLValidator) nesting(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation) (field.ErrorList, error) {
	var list kkpv1.ClusterBackupStorageLocationList
	if err := v.Reader.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, fmt.Errorf("list clusterbackupstoragelocations: %w", err)
	}
	var errs field.ErrorList
	for i := range list.Items {
		o := &list.Items[i]
		if o.Name == c.Name || !storage.AreasNest(c, o) {
			continue
		}
		errs = append(errs, field.Forbidden(field.NewPath("spec", "objectStorage", "prefix"), fmt.Sprintf(
			"the clusters of project %q would live in %q, which nests with %q of clusterbackupstoragelocation %s/%s (project %q) on the same bucket; one project's backups would land in another's folders",
			c.Labels[kkpv1.ProjectIDLabel], storage.ProjectArea(c), storage.ProjectArea(o), o.Namespace, o.Name, o.Labels[kkpv1.ProjectIDLabel])))
	}
	return errs, nil
}
