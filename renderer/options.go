package renderer

import (
	"fmt"
	"runtime"
)

// DefaultKubeVersion is the Kubernetes version rendered for unless
// Options.KubeVersion says otherwise (Helm's own default is v1.20).
const DefaultKubeVersion = "v1.37.2"

// CredentialsMode says where Velero gets its AWS credentials.
type CredentialsMode string

const (
	// CredentialsExistingSecret references a Secret created out of band
	// (the default: no keys end up in Git or Argo CD output).
	CredentialsExistingSecret CredentialsMode = "existingSecret"
	// CredentialsInline renders a Secret with the keys from the CBSL's
	// credential Secret (opt-in; needs that Secret among the inputs).
	CredentialsInline CredentialsMode = "inline"
	// CredentialsExternalSecret renders an External Secrets Operator
	// ExternalSecret (external-secrets.io/v1) that makes the Secret from
	// ExternalSecretStore, for user clusters the seed cannot reach. No key
	// is rendered.
	CredentialsExternalSecret CredentialsMode = "externalSecret"
)

// SecretStoreRef names the External Secrets Operator store an ExternalSecret
// reads from.
type SecretStoreRef struct {
	// Name of the store. Required in CredentialsExternalSecret mode.
	Name string `json:"name"`
	// Kind is "SecretStore" or "ClusterSecretStore". Default
	// "ClusterSecretStore".
	Kind string `json:"kind,omitempty"`
}

// Schedule is one Velero Schedule rendered into every cluster.
type Schedule struct {
	// Schedule is the cron expression (5 fields or a descriptor).
	Schedule string `json:"schedule"`
	// Template is the Backup spec; storageLocation defaults to the managed
	// BSL and defaultVolumesToFsBackup to true while the node-agent is on.
	Template map[string]any `json:"template,omitempty"`
	// Paused creates the Schedule paused.
	Paused bool `json:"paused,omitempty"`
	// UseOwnerReferencesInBackup makes Backups owned by the Schedule.
	UseOwnerReferencesInBackup bool `json:"useOwnerReferencesInBackup,omitempty"`
}

// Options configure rendering. The zero value renders the chart's defaults
// for Kubernetes DefaultKubeVersion.
type Options struct {
	// KubeVersion is the Kubernetes version the chart sees in
	// .Capabilities.KubeVersion. Default DefaultKubeVersion.
	KubeVersion string
	// APIVersions are extra group/versions for .Capabilities.APIVersions, on
	// top of Helm's built-in set and velero.io/v1, velero.io/v2alpha1 and
	// admissionregistration.k8s.io/v1. Default none.
	APIVersions []string
	// Overlay names a kustomize overlay from overlays/ (see Overlays) applied
	// after the chart. Default "" (none).
	Overlay string
	// Namespace is the Velero namespace. Default "velero" (the chart's).
	Namespace string
	// BSLName names the managed BackupStorageLocation. Default "default".
	BSLName string
	// Registry replaces the image registry of every image, including the
	// restore helper. Default "" (the chart's, docker.io).
	Registry string
	// VeleroTag and PluginTag override the pinned image tags (keep them a
	// compatible pair). Default "" (versions.Velero and
	// versions.VeleroPluginForAWS, as pinned in the chart).
	VeleroTag, PluginTag string
	// VeleroDigest and PluginDigest pin the images by content
	// ("sha256:<64 hex>"), rendered as repository:tag@digest. Default ""
	// (by tag only).
	VeleroDigest, PluginDigest string
	// Credentials is the credentials mode. Default CredentialsExistingSecret.
	Credentials CredentialsMode
	// CredentialsSecret names the Secret in the Velero namespace that holds
	// the AWS credentials file (existing or rendered). Default
	// "velero-cloud-credentials" (the chart's).
	CredentialsSecret string
	// ExternalSecretStore is the store of CredentialsExternalSecret mode;
	// the remote key is the CBSL's spec.credential.name. Default none.
	ExternalSecretStore SecretStoreRef
	// DisableNodeAgent turns the node-agent (File System Backup) off.
	// Default false: the node-agent runs.
	DisableNodeAgent bool
	// Schedules are rendered into every cluster, by name. Default none.
	Schedules map[string]Schedule
	// Values are extra chart values merged over the computed ones (maps
	// deeply, anything else replaced), e.g. server.resources, webhook or
	// admissionPolicies. Default none.
	Values map[string]any
	// Concurrency is the number of clusters RenderFleet renders at once.
	// Default runtime.GOMAXPROCS(0).
	Concurrency int
	// Single is for a process that renders one cluster and exits (the Argo
	// CD plugin's generate, the KRM function): New skips the work that pays
	// off only over many clusters (the shape cache, with its two probe
	// renders per shape, and serializing the CRDs up front). The objects are
	// the same. Default false.
	Single bool
}

// computedValues are the chart values Values computes from the Cluster and
// its CBSL; Options.Values may not set them, or one cluster's release
// could point at another cluster's prefix.
var computedValues = []string{"cluster", "storage"}

// validate checks the options that need no input.
func (o Options) validate() error {
	for _, k := range computedValues {
		if _, ok := o.Values[k]; ok {
			return fmt.Errorf("render options: values key %q is computed from the Cluster and its ClusterBackupStorageLocation and cannot be set", k)
		}
	}
	return nil
}

func (o Options) kubeVersion() string {
	if o.KubeVersion == "" {
		return DefaultKubeVersion
	}
	return o.KubeVersion
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return runtime.GOMAXPROCS(0)
}
