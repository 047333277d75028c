package credentials

import kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"

// Labels and annotations on the Secrets the loop writes.
const (
	// ManagedByLabel marks every Secret the loop writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "clusterbackup"
	// ComponentLabel says which Secret it is (ComponentCredentials,
	// ComponentRepoPassword).
	ComponentLabel = "clusterbackup.io/component"
	// ClusterIDLabel holds the cluster ID on the seed's password copy.
	ClusterIDLabel = kkpv1.ClusterIDLabel
	// ExcludeFromBackupLabel ("true") keeps Velero from backing up the
	// Secrets the loop writes in a user cluster.
	ExcludeFromBackupLabel = "velero.io/exclude-from-backup"
	// CBSLAnnotation names the CBSL the credentials came from.
	CBSLAnnotation = "clusterbackup.io/cbsl"
)

// Values of ComponentLabel.
const (
	ComponentCredentials  = "credentials"
	ComponentRepoPassword = "repository-password"
)
