package seed

import (
	"fmt"
	"slices"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// maxNamed is how many referencing clusters a message names.
const maxNamed = 10

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
