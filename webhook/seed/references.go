package seed

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// maxNamed is how many referencing clusters a message names.
const maxNamed = 10

// ValidateClusterReference checks the CBSL a Cluster's backupConfig names:
// it must exist (cbsl nil means it does not, in namespace ns) and belong to
// the cluster's project.
func ValidateClusterReference(cl *kkpv1.Cluster, cbsl *kkpv1.ClusterBackupStorageLocation, ns string) field.ErrorList {
	name := cl.StorageLocationName()
	if name == "" {
		return nil
	}
	ref := field.NewPath("spec", "backupConfig", "backupStorageLocation", "name")
	var errs field.ErrorList
	project := cl.ProjectID()
	if project == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "labels").Key(kkpv1.ProjectIDLabel),
			"a cluster with backupConfig needs its project ID to be matched with the storage location's"))
	}
	if cbsl == nil {
		return append(errs, field.NotFound(ref, fmt.Sprintf("clusterbackupstoragelocation %s/%s", ns, name)))
	}
	if owner := cbsl.Labels[kkpv1.ProjectIDLabel]; project != "" && owner != project {
		errs = append(errs, field.Forbidden(ref, fmt.Sprintf("clusterbackupstoragelocation %s/%s belongs to project %q, not to the cluster's project %q",
			ns, name, owner, project)))
	}
	return errs
}

// ReferencingClusters returns the names (sorted) of the clusters whose
// backupConfig names the CBSL called name.
func ReferencingClusters(clusters []kkpv1.Cluster, name string) []string {
	var out []string
	for i := range clusters {
		if clusters[i].StorageLocationName() == name {
			out = append(out, clusters[i].Name)
		}
	}
	slices.Sort(out)
	return out
}

// nameList joins names for a message, naming at most maxNamed.
func nameList(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}
