package v1

// Labels and keys shared by KKP objects and everything clusterbackup renders.
const (
	// ProjectIDLabel holds the KKP project ID on Clusters and CBSLs.
	ProjectIDLabel = "project-id"

	// CredentialAccessKeyID and CredentialSecretAccessKey are the keys of a CBSL
	// credential Secret in KKP's layout.
	CredentialAccessKeyID     = "accessKeyId"
	CredentialSecretAccessKey = "secretAccessKey"

	// CredentialCloudFile is the key of a Velero-style AWS credentials INI file,
	// accepted as an alternative to the two keys above.
	CredentialCloudFile = "cloud"

	// ClusterIDLabel holds the user cluster's ID on the seed objects kept per
	// cluster (the release loop's state ConfigMaps, the repository password
	// copies).
	ClusterIDLabel = "clusterbackup.io/cluster-id"

	// ReleaseStateAnnotation and ReleaseVeleroVersionAnnotation record, on a
	// release state ConfigMap (labelled ClusterIDLabel, in the CBSL
	// namespace), the cluster's release state (pending, applied, disabled,
	// skipped, failed) and the Velero version rendered for it; the release
	// loop writes them when they change, the fleet inventory reads them.
	ReleaseStateAnnotation         = "clusterbackup.io/release-state"
	ReleaseVeleroVersionAnnotation = "clusterbackup.io/velero-version"

	// ReleaseGenerationAnnotation records, on the same ConfigMap, the
	// configuration generation (the digest of the seed's render
	// configuration, controllers/rollout) last applied to the cluster.
	ReleaseGenerationAnnotation = "clusterbackup.io/release-generation"
)
