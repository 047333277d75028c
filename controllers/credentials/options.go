package credentials

import (
	"flag"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/duration"
)

// Defaults of Options, set by Options.Default.
const (
	// DefaultCredentialsSecret is the Secret written into each user
	// cluster's Velero namespace; the chart's credentials.existingSecret
	// default names the same Secret (KKP writes this name too).
	DefaultCredentialsSecret = "velero-cloud-credentials"
	// DefaultCredentialsKey is the key of the AWS credentials file in it.
	DefaultCredentialsKey = "cloud"
	// DefaultVeleroNamespace is the Velero namespace in user clusters.
	DefaultVeleroNamespace = kkpv1.VeleroNamespace
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

// Options configure the credentials loop (the controllers' config file's
// credentials section). Zero values take the documented defaults (Default).
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
	// update: every cluster is reconciled at least this often (±10%; "5m",
	// a number is nanoseconds). Default 5m; at least 1s.
	ResyncPeriod duration.Duration `json:"resyncPeriod,omitempty"`
	// Workers is how many clusters are reconciled in parallel. Default 4.
	Workers int `json:"workers,omitempty"`
	// ControllerName names the controller (controller-runtime requires
	// names unique per process: give each manager of one process its own,
	// as tests do). Default ControllerName ("cluster-credentials").
	ControllerName string `json:"-"`
}

// AddFlags binds the options to command-line flags. o must be defaulted
// (Default): each flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "credentials-loop", o.Enabled, "deliver storage credentials and per-cluster repository passwords from the seed into every user cluster with a backup location")
	fs.StringVar(&o.CredentialsSecret, "credentials-secret", o.CredentialsSecret, "credentials Secret written into each user cluster's Velero namespace (the chart's credentials.existingSecret)")
	fs.StringVar(&o.CredentialsKey, "credentials-key", o.CredentialsKey, "key of the AWS credentials file in that Secret (the chart's credentials.key)")
	fs.StringVar(&o.VeleroNamespace, "credentials-velero-namespace", o.VeleroNamespace, "Velero's namespace in user clusters")
	fs.StringVar(&o.PasswordSecretPrefix, "credentials-password-secret-prefix", o.PasswordSecretPrefix, "prefix + cluster ID = the seed Secret (in the CBSL namespace) keeping a cluster's repository password")
	fs.StringVar(&o.ClusterSecretPrefix, "credentials-cluster-secret-prefix", o.ClusterSecretPrefix, "prefix + cluster ID = the seed Secret (in the CBSL namespace) holding a cluster's dedicated storage key, delivered instead of the CBSL's key")
	fs.DurationVar(&o.ResyncPeriod.Duration, "credentials-resync-period", o.ResyncPeriod.Duration, "every cluster's credentials are reconciled at least this often (±10%), bounding a missed update")
	fs.IntVar(&o.Workers, "credentials-workers", o.Workers, "clusters reconciled in parallel by the credentials loop")
}

// Default fills every unset field with its default. Default is idempotent.
func (o *Options) Default() {
	if o.CredentialsSecret == "" {
		o.CredentialsSecret = DefaultCredentialsSecret
	}
	if o.CredentialsKey == "" {
		o.CredentialsKey = DefaultCredentialsKey
	}
	if o.VeleroNamespace == "" {
		o.VeleroNamespace = DefaultVeleroNamespace
	}
	if o.PasswordSecretPrefix == "" {
		o.PasswordSecretPrefix = DefaultPasswordSecretPrefix
	}
	if o.ClusterSecretPrefix == "" {
		o.ClusterSecretPrefix = DefaultClusterSecretPrefix
	}
	if o.ResyncPeriod.Duration == 0 {
		o.ResyncPeriod.Duration = DefaultResyncPeriod
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.ControllerName == "" {
		o.ControllerName = ControllerName
	}
}

// Validate checks defaulted options and returns every broken setting named
// under fp, as in the configuration file (e.g. credentials.resyncPeriod).
func (o *Options) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.ResyncPeriod.Duration < time.Second {
		errs = append(errs, field.Invalid(fp.Child("resyncPeriod"), o.ResyncPeriod.String(), "must be at least 1s"))
	}
	if o.ClusterSecretPrefix == o.PasswordSecretPrefix {
		errs = append(errs, field.Invalid(fp.Child("clusterSecretPrefix"), o.ClusterSecretPrefix, "must differ from passwordSecretPrefix"))
	}
	if o.CredentialsSecret == RepoSecret {
		errs = append(errs, field.Invalid(fp.Child("credentialsSecret"), o.CredentialsSecret, "must not be Velero's repository password Secret"))
	}
	return errs
}
