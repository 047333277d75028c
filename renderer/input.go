package renderer

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// Input is one user cluster to render: the KKP Cluster, the
// ClusterBackupStorageLocation it names, and optionally the CBSL's credential
// Secret (needed only for inline credentials).
type Input struct {
	// Cluster is the user cluster; metadata.name is the cluster ID and the
	// project-id label the project ID.
	Cluster *kkpv1.Cluster
	// CBSL is the storage location the cluster's backupConfig names.
	CBSL *kkpv1.ClusterBackupStorageLocation
	// Secret is the CBSL's credential Secret, or nil.
	Secret *corev1.Secret
	// ClusterSource and CBSLSource say where the objects were read from
	// ("file.yaml#2"), for error messages; empty when built in code.
	ClusterSource, CBSLSource string
}

// ClusterID returns the cluster ID (the Cluster's name), or "".
func (in Input) ClusterID() string {
	if in.Cluster == nil {
		return ""
	}
	return in.Cluster.Name
}

// ProjectID returns the cluster's project ID, or "".
func (in Input) ProjectID() string {
	if in.Cluster == nil {
		return ""
	}
	return in.Cluster.ProjectID()
}

// Prefix returns the cluster's effective prefix,
// join(CBSL prefix, projectID, clusterID), or the rule it breaks.
func (in Input) Prefix() (string, error) {
	if err := in.Validate(); err != nil {
		return "", err
	}
	p, _ := prefix.Join(in.CBSL.Spec.ObjectStorage.Prefix, in.ProjectID(), in.ClusterID())
	return p, nil
}

// Validate checks the Input with ValidateCluster and ValidateCBSL and returns
// an error naming the object, the field and the rule, or nil.
func (in Input) Validate() error {
	if in.Cluster == nil {
		return &InputError{Kind: kkpv1.KindCluster, Errs: field.ErrorList{field.Required(field.NewPath("cluster"), "an input needs a Cluster")}}
	}
	var errs []error
	if el := ValidateCluster(in.Cluster, in.CBSL); len(el) > 0 {
		errs = append(errs, clusterError(in.ClusterSource, in.Cluster, el))
	}
	if in.CBSL != nil {
		if el := ValidateCBSL(in.CBSL); len(el) > 0 {
			errs = append(errs, cbslError(in.CBSLSource, in.CBSL, el))
		}
	}
	return joinErrors(errs)
}

// ValidateCluster checks a Cluster and its binding to cbsl (which may be nil
// when it was not found): the project and cluster IDs must be single safe
// path segments, the Cluster must name a CBSL, and the CBSL must belong to
// the Cluster's project.
func ValidateCluster(c *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation) field.ErrorList {
	var errs field.ErrorList
	labels := field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel)
	errs = append(errs, prefix.ValidateSegment(c.ProjectID(), labels)...)
	errs = append(errs, prefix.ValidateSegment(c.Name, field.NewPath("metadata", "name"))...)
	ref := field.NewPath("spec", "backupConfig", "backupStorageLocation", "name")
	switch {
	case c.StorageLocationName() == "":
		errs = append(errs, field.Required(ref, "the cluster must name its ClusterBackupStorageLocation"))
	case cbsl == nil:
		errs = append(errs, field.NotFound(ref, c.StorageLocationName()))
	case cbsl.Labels[kkpv1.ProjectIDLabel] != c.ProjectID():
		errs = append(errs, field.Forbidden(ref, fmt.Sprintf("ClusterBackupStorageLocation %q belongs to project %q, not to the cluster's project %q; a cluster may only use its own project's storage",
			cbsl.Name, cbsl.Labels[kkpv1.ProjectIDLabel], c.ProjectID())))
	}
	return errs
}

// supportedProviders are the BSL providers the AWS object-store plugin serves.
var supportedProviders = []string{"aws", "velero.io/aws"}

// ValidateCBSL checks what the renderer needs from a CBSL: a project-id label
// that is a safe segment, provider aws, a bucket without "/", and a prefix
// that follows internal/prefix's rules.
func ValidateCBSL(c *kkpv1.ClusterBackupStorageLocation) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, prefix.ValidateSegment(c.Labels[kkpv1.ProjectIDLabel], field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel))...)
	spec := field.NewPath("spec")
	if p := c.Spec.Provider; p != supportedProviders[0] && p != supportedProviders[1] {
		errs = append(errs, field.NotSupported(spec.Child("provider"), p, supportedProviders))
	}
	os := c.Spec.ObjectStorage
	osPath := spec.Child("objectStorage")
	if os == nil {
		return append(errs, field.Required(osPath, "the bucket is required"))
	}
	switch {
	case os.Bucket == "":
		errs = append(errs, field.Required(osPath.Child("bucket"), "the S3 bucket is required"))
	case strings.Contains(os.Bucket, "/"):
		errs = append(errs, field.Invalid(osPath.Child("bucket"), os.Bucket, "must not contain '/'; put folders into spec.objectStorage.prefix"))
	}
	errs = append(errs, prefix.Validate(os.Prefix, osPath.Child("prefix"))...)
	return errs
}

// InputError reports what is wrong with one input object.
type InputError struct {
	// Source is where the object was read from, or "".
	Source string
	// Kind and Name identify the object (Name is "namespace/name" when namespaced).
	Kind, Name string
	// Errs are the broken rules, each with its field path.
	Errs field.ErrorList
}

// Error names the source, the object, and each field with its rule.
func (e *InputError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind)
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	b.WriteString(": ")
	for i, fe := range e.Errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

func clusterError(src string, c *kkpv1.Cluster, errs field.ErrorList) error {
	return &InputError{Source: src, Kind: kkpv1.KindCluster, Name: c.Name, Errs: errs}
}

func cbslError(src string, c *kkpv1.ClusterBackupStorageLocation, errs field.ErrorList) error {
	return &InputError{Source: src, Kind: kkpv1.KindClusterBackupStorageLocation, Name: nsName(c.Namespace, c.Name), Errs: errs}
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// joinErrors returns nil, the only error, or an error listing each one on its
// own line.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &multiError{errs}
}

type multiError struct{ errs []error }

func (m *multiError) Error() string {
	parts := make([]string, len(m.errs))
	for i, e := range m.errs {
		parts[i] = e.Error()
	}
	return fmt.Sprintf("%d problems:\n  %s", len(m.errs), strings.Join(parts, "\n  "))
}

func (m *multiError) Unwrap() []error { return m.errs }

func fieldRequired(path, detail string) field.ErrorList {
	return field.ErrorList{field.Required(field.NewPath(path), detail)}
}

func fieldNotFound(path, value, detail string) field.ErrorList {
	e := field.NotFound(field.NewPath(path), value)
	e.Detail = detail
	return field.ErrorList{e}
}
