package seed

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// CBSLValidator is the validating webhook for CBSLs.
//
// CREATE, and UPDATE that changes the spec: full validation, the credential
// Secret, and the reachability check (dry-run requests alike; the check only
// reads). UPDATE that leaves the spec alone (status, metadata, finalizers)
// never re-checks: only the project-id label is validated, and it may not
// change while clusters use the CBSL. DELETE is denied while clusters still
// reference the CBSL. Reviews of another kind or operation, or without a
// request, are answered with a 400 (package admit).
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

	handler built
}

// ServeHTTP implements http.Handler.
func (v *CBSLValidator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.handler.serve(w, r, func() http.Handler {
		return &admit.Validator[*kkpv1.ClusterBackupStorageLocation]{
			Endpoint: endpoint(ValidateCBSLPath, v.Metrics), Validate: v.validate, Delete: v.delete,
		}
	})
}

// validate judges a CREATE or UPDATE.
func (v *CBSLValidator) validate(ctx context.Context, req admission.Request, c, old *kkpv1.ClusterBackupStorageLocation) (field.ErrorList, admission.Warnings, error) {
	if req.Operation == admissionv1.Update {
		// Compare with the old spec as the mutating webhook would have
		// defaulted it, so that defaults filled into an object created
		// before the webhook existed do not count as a spec change.
		oldDefaulted := old.DeepCopy()
		storage.DefaultCBSL(oldDefaulted)
		if equality.Semantic.DeepEqual(old.Spec, c.Spec) || equality.Semantic.DeepEqual(oldDefaulted.Spec, c.Spec) {
			errs, err := v.metadataUpdate(ctx, old, c)
			return errs, nil, err
		}
	}
	return v.judge(ctx, c, req.Operation == admissionv1.Create)
}

// judge validates and checks a new or changed CBSL. A new CBSL whose only
// problem is that its credential Secret does not exist yet is admitted
// unchecked with a warning: KKP's dashboard creates the CBSL first and the
// Secret right after it (owned by the CBSL); the status loop checks the
// CBSL once the Secret exists. A failed reachability check is a field
// error on the field it points at (checkField), or a warning in ModeWarn.
func (v *CBSLValidator) judge(ctx context.Context, c *kkpv1.ClusterBackupStorageLocation, create bool) (field.ErrorList, admission.Warnings, error) {
	log := logf.FromContext(ctx).WithValues("clusterbackupstoragelocation", c.Namespace+"/"+c.Name)
	secrets := v.Secrets
	if secrets == nil {
		secrets = storage.ReaderSecrets(v.Reader)
	}
	if errs, err := v.nesting(ctx, c); err != nil || len(errs) > 0 {
		return errs, nil, err
	}
	ev, err := s3check.Evaluate(ctx, c, secrets, v.Checker, v.Options.ProbeIsolation)
	if err != nil {
		log.Error(err, "cannot read the credential secret")
		return nil, nil, fmt.Errorf("read secrets: %w", err)
	}
	if create && secretNotYetCreated(ev.Errors) {
		log.Info("admitted unchecked: credential secret not found yet")
		return nil, append(admission.Warnings{fmt.Sprintf(
			"secret %s/%s not found yet: admitted unchecked; the status loop checks it once it exists", c.Namespace, c.Spec.Credential.Name)}, ev.Warnings...), nil
	}
	if len(ev.Errors) > 0 {
		return ev.Errors, ev.Warnings, nil
	}
	r := ev.Check
	v.Metrics.check(r)
	log.Info("reachability check", "class", r.Class, "cached", r.Cached, "duration", r.Duration.String(), "message", r.Message)
	if r.OK() {
		return nil, ev.Warnings, nil
	}
	msg := fmt.Sprintf("S3 check failed (%s): %s", r.Class, r.Message)
	if v.Options.Mode == ModeWarn {
		return nil, append(admission.Warnings{fmt.Sprintf("clusterbackupstoragelocation %q: %s", c.Name, msg)}, ev.Warnings...), nil
	}
	return field.ErrorList{field.Invalid(checkField(r.Class), field.OmitValueType{}, msg)}, ev.Warnings, nil
}

// checkField is the field a failed reachability check points at.
func checkField(class s3check.Class) *field.Path {
	spec := field.NewPath("spec")
	switch class {
	case s3check.ClassAccessDenied:
		return spec.Child("credential")
	case s3check.ClassNoSuchBucket:
		return spec.Child("objectStorage", "bucket")
	case s3check.ClassTLS:
		return spec.Child("objectStorage", "caCert")
	case s3check.ClassWrongRegion:
		return spec.Child("config").Key(storage.ConfigRegion)
	}
	return spec.Child("config").Key(storage.ConfigS3URL)
}

// metadataUpdate covers updates that leave the spec unchanged: only the
// project-id label is validated, and it may not change while clusters use
// the CBSL.
func (v *CBSLValidator) metadataUpdate(ctx context.Context, old, c *kkpv1.ClusterBackupStorageLocation) (field.ErrorList, error) {
	if c.DeletionTimestamp != nil {
		return nil, nil
	}
	if errs := storage.ValidateProjectLabel(c.Labels, nil); len(errs) > 0 {
		return errs, nil
	}
	if old.Labels[kkpv1.ProjectIDLabel] == c.Labels[kkpv1.ProjectIDLabel] {
		return nil, nil
	}
	users, err := v.referencing(ctx, c.Namespace, c.Name)
	if err != nil || len(users) == 0 {
		return nil, err
	}
	return field.ErrorList{field.Forbidden(field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel),
		fmt.Sprintf("cannot move to another project while clusters use it: %s", nameList(users)))}, nil
}

// delete denies deleting a CBSL that clusters still reference.
func (v *CBSLValidator) delete(ctx context.Context, req admission.Request) (field.ErrorList, error) {
	users, err := v.referencing(ctx, req.Namespace, req.Name)
	if err != nil || len(users) == 0 {
		return nil, err
	}
	logf.FromContext(ctx).Info("denied: delete of a referenced clusterbackupstoragelocation", "clusterbackupstoragelocation", req.Namespace+"/"+req.Name, "clusters", len(users))
	return field.ErrorList{field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf(
		"still used by %d cluster(s): %s; point their spec.backupConfig.backupStorageLocation elsewhere first", len(users), nameList(users)))}, nil
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
