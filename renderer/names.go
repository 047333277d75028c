package renderer

// Names of what the chart renders in Velero's namespace that the seed's
// loops read back (the rollout's health gate, the GitOps check of the
// release loop). TestWorkloadNames renders them.
const (
	// VeleroDeploymentName is the Velero server's Deployment
	// (templates/deployment.yaml).
	VeleroDeploymentName = "velero"
	// NodeAgentDaemonSetName is the node-agent DaemonSet of File System
	// Backup (templates/node-agent.yaml), when rendered.
	NodeAgentDaemonSetName = "node-agent"
)
