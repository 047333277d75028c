package renderer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// SharedCredential is one access key that several clusters of a fleet use
// through their ClusterBackupStorageLocations: a cluster-admin of any of them
// can read the credentials and reach the others' backups.
type SharedCredential struct {
	// AccessKeyID is the shared access key ID (not a secret).
	AccessKeyID string
	// Clusters are the IDs of the clusters using it, sorted.
	Clusters []string
	// CBSLs are the "namespace/name" of the storage locations naming it, sorted.
	CBSLs []string
}

// String is the warning text; it never contains the secret key.
func (s SharedCredential) String() string {
	return fmt.Sprintf("access key %s is shared by clusters %s (ClusterBackupStorageLocation %s): a cluster-admin of one can read the others' backups; give each cluster a dedicated credential confined to its prefix (clusterbackup policy)",
		s.AccessKeyID, strings.Join(s.Clusters, ", "), strings.Join(s.CBSLs, ", "))
}

// SharedCredentials returns the access keys used by more than one cluster
// of the fleet, sorted by access key ID. Only inputs whose credential Secret
// is among the inputs count; an unreadable Secret is skipped (rendering
// reports it when it needs it).
func SharedCredentials(fleet []Input) []SharedCredential {
	byKey := map[string]*SharedCredential{}
	for _, in := range fleet {
		if in.Secret == nil || in.CBSL == nil || in.CBSL.Spec.Credential == nil {
			continue
		}
		c, errs := storage.Credentials(in.CBSL, in.Secret)
		if len(errs) > 0 || c.AccessKeyID == "" {
			continue
		}
		s := byKey[c.AccessKeyID]
		if s == nil {
			s = &SharedCredential{AccessKeyID: c.AccessKeyID}
			byKey[c.AccessKeyID] = s
		}
		s.Clusters = appendUnique(s.Clusters, in.ClusterID())
		s.CBSLs = appendUnique(s.CBSLs, in.CBSL.Namespace+"/"+in.CBSL.Name)
	}
	var out []SharedCredential
	for _, s := range byKey {
		if len(s.Clusters) < 2 {
			continue
		}
		sort.Strings(s.Clusters)
		sort.Strings(s.CBSLs)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKeyID < out[j].AccessKeyID })
	return out
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
