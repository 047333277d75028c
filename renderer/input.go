package renderer

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
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
	// checked are the objects BuildFleet validated; an Input whose Cluster
	// or CBSL was replaced since is validated again.
	checked struct {
		cluster *kkpv1.Cluster
		cbsl    *kkpv1.ClusterBackupStorageLocation
	}
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
	if err := in.validate(); err != nil {
		return "", err
	}
	p, _ := prefix.Join(in.CBSL.Spec.ObjectStorage.Prefix, in.ProjectID(), in.ClusterID())
	return p, nil
}

// Validate checks the Cluster and its CBSL with the storage core's rules
// (storage.ValidateCluster, storage.ValidateCBSL: the seed webhook's rule
// set) and returns an error naming the object, the field and the rule, or
// nil.
func (in Input) Validate() error {
	if in.Cluster == nil {
		return &InputError{Kind: kkpv1.KindCluster, Errs: field.ErrorList{field.Required(field.NewPath("cluster"), "an input needs a Cluster")}}
	}
	var errs []error
	if in.CBSL != nil {
		if el, _ := storage.ValidateCBSL(in.CBSL, nil); len(el) > 0 {
			errs = append(errs, cbslError(in.CBSLSource, in.CBSL, el))
		}
	}
	if el := storage.ValidateCluster(in.Cluster, in.CBSL, ""); len(el) > 0 {
		errs = append(errs, clusterError(in.ClusterSource, in.Cluster, el))
	}
	return joinErrors(errs)
}

// validate is Validate, skipped for Inputs that BuildFleet already checked.
func (in Input) validate() error {
	if in.checked.cluster != nil && in.checked.cluster == in.Cluster && in.checked.cbsl == in.CBSL {
		return nil
	}
	return in.Validate()
}

// InputError reports what is wrong with one input object: the source, the
// object and each broken rule with its field path.
type InputError = storage.InvalidError

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
