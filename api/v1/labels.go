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
)
