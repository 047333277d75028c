package credentials

import (
	"flag"
	"fmt"
	"time"
)

// Defaults of Options.
const (
	// DefaultCredentialsSecret is the Secret written into each user
	// cluster's Velero namespace; the chart's credentials.existingSecret
	// default names the same Secret (KKP writes this name too).
	DefaultCredentialsSecret = "velero-cloud-credentials"
	// DefaultCredentialsKey is the key of the AWS credentials file in it.
	DefaultCredentialsKey = "cloud"
	// DefaultVeleroNamespace is the Velero namespace in user clusters.
	DefaultVeleroNamespace = "velero"
	// DefaultPasswordSecretPrefix prefixes the cluster ID to name the seed's
	// copy of a cluster's repository password in the CBSL namespace.
	DefaultPasswordSecretPrefix = "clusterbackup-repo-password-"
	// DefaultClusterSecretPrefix prefixes the cluster ID to name the seed
	// Secret (in the CBSL namespace) holding a cluster's dedicated storage
	// key, which takes precedence over the CBSL's.
	DefaultClusterSecretPrefix = "clusterbackup-credentials-"
	// DefaultResyncPeriod is how often every cluster is reconciled even
	// without a watch event (±10% jitter).
	DefaultResyncPeriod = 5 * time.Minute
	// DefaultWorkers is how many clusters are reconciled in parallel.
	DefaultWorkers = 4
)

// Velero's fixed names for the repository password (pkg/repository/keys in
// the Velero module): it reads this Secret and key in its own namespace, and
// creates it with a built-in default password when it is missing.
const (
	RepoSecret      = "velero-repo-credentials"
	RepoKey         = "repository-password"
	veleroDefaultPw = "static-passw0rd"
)

// Options configure the credentials loop. Zero values take the documented
// defaults (Complete). In a config file, durations are nanoseconds.
type Options struct {
	// Enabled runs the loop in the seed-mode process. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// CredentialsSecret names the credentials Secret written into the
	// user cluster. Default "velero-cloud-credentials"; it must equal the
	// chart's credentials.existingSecret.
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// CredentialsKey is the key of the AWS credentials file in it. Default
	// "cloud" (the chart's credentials.key).
	CredentialsKey string `json:"credentialsKey,omitempty"`
	// VeleroNamespace is Velero's namespace in user clusters. Default
	// "velero".
	VeleroNamespace string `json:"veleroNamespace,omitempty"`
	// PasswordSecretPrefix + cluster ID names the seed's copy of the
	// repository password, in the CBSL namespace. Default
	// "clusterbackup-repo-password-".
	PasswordSecretPrefix string `json:"passwordSecretPrefix,omitempty"`
	// ClusterSecretPrefix + cluster ID names the seed Secret, in the CBSL
	// namespace, holding a cluster's dedicated storage key (labelled with
	// the cluster ID and project; same layouts as a CBSL's Secret). When it
	// exists it is delivered instead of the CBSL's key. Default
	// "clusterbackup-credentials-".
	ClusterSecretPrefix string `json:"clusterSecretPrefix,omitempty"`
	// ResyncPeriod bounds how long a missed watch event can delay an
	// update: every cluster is reconciled at least this often (±10%).
	// Default 5m.
	ResyncPeriod time.Duration `json:"resyncPeriod,omitempty"`
	// Workers is how many clusters are reconciled in parallel. Default 4.
	Workers int `json:"workers,omitempty"`
	// ControllerName names the controller (controller-runtime requires
	// names unique per process: give each manager of one process its own,
	// as tests do). Default ControllerName ("cluster-credentials").
	ControllerName string `json:"-"`
}

// AddFlags binds the options to command-line flags.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "credentials-loop", o.Enabled, "deliver storage credentials and per-cluster repository passwords from the seed into every user cluster with a backup location")
	fs.StringVar(&o.CredentialsSecret, "credentials-secret", or(o.CredentialsSecret, DefaultCredentialsSecret), "credentials Secret written into each user cluster's Velero namespace (the chart's credentials.existingSecret)")
	fs.StringVar(&o.CredentialsKey, "credentials-key", or(o.CredentialsKey, DefaultCredentialsKey), "key of the AWS credentials file in that Secret (the chart's credentials.key)")
	fs.StringVar(&o.VeleroNamespace, "credentials-velero-namespace", or(o.VeleroNamespace, DefaultVeleroNamespace), "Velero's namespace in user clusters")
	fs.StringVar(&o.PasswordSecretPrefix, "credentials-password-secret-prefix", or(o.PasswordSecretPrefix, DefaultPasswordSecretPrefix), "prefix + cluster ID = the seed Secret (in the CBSL namespace) keeping a cluster's repository password")
	fs.StringVar(&o.ClusterSecretPrefix, "credentials-cluster-secret-prefix", or(o.ClusterSecretPrefix, DefaultClusterSecretPrefix), "prefix + cluster ID = the seed Secret (in the CBSL namespace) holding a cluster's dedicated storage key, delivered instead of the CBSL's key")
	fs.DurationVar(&o.ResyncPeriod, "credentials-resync-period", or(o.ResyncPeriod, DefaultResyncPeriod), "every cluster's credentials are reconciled at least this often (±10%), bounding a missed update")
	fs.IntVar(&o.Workers, "credentials-workers", or(o.Workers, DefaultWorkers), "clusters reconciled in parallel by the credentials loop")
}

// Complete fills the defaults and rejects impossible settings.
func (o Options) Complete() (Options, error) {
	o.CredentialsSecret = or(o.CredentialsSecret, DefaultCredentialsSecret)
	o.CredentialsKey = or(o.CredentialsKey, DefaultCredentialsKey)
	o.VeleroNamespace = or(o.VeleroNamespace, DefaultVeleroNamespace)
	o.PasswordSecretPrefix = or(o.PasswordSecretPrefix, DefaultPasswordSecretPrefix)
	o.ClusterSecretPrefix = or(o.ClusterSecretPrefix, DefaultClusterSecretPrefix)
	o.ResyncPeriod = or(o.ResyncPeriod, DefaultResyncPeriod)
	o.Workers = or(o.Workers, DefaultWorkers)
	o.ControllerName = or(o.ControllerName, ControllerName)
	switch {
	case o.ResyncPeriod < time.Second:
		return o, fmt.Errorf("credentials resync period %s is too short (minimum 1s)", o.ResyncPeriod)
	case o.ClusterSecretPrefix == o.PasswordSecretPrefix:
		return o, fmt.Errorf("credentials cluster secret prefix %q must differ from the password secret prefix", o.ClusterSecretPrefix)
	case o.CredentialsSecret == RepoSecret:
		return o, fmt.Errorf("credentials secret must not be %q: Velero keeps the repository password there", RepoSecret)
	}
	return o, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
