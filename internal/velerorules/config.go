package velerorules

import (
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Defaults used by Config.Complete.
const (
	DefaultManagedBSLName = "default"
	DefaultNamespace      = kkpv1.VeleroNamespace
	DefaultVeleroUser     = "system:serviceaccount:velero:velero"
	DefaultBackupTTL      = 720 * time.Hour
	// DefaultCredentialsSecret is the managed credentials Secret: the one
	// the seed's credentials loop writes and the chart mounts.
	DefaultCredentialsSecret = "velero-cloud-credentials"
)

// Location identifies an object-store location: bucket, endpoint (the AWS
// plugin's config.s3Url, "" for AWS itself) and prefix.
type Location struct {
	// Bucket is the bucket name.
	Bucket string `json:"bucket"`
	// Endpoint is the S3 URL (config.s3Url); compared by host and port in
	// canonical form (storage.SameEndpoint).
	Endpoint string `json:"endpoint,omitempty"`
	// Prefix is the folder inside the bucket, compared by whole segments.
	Prefix string `json:"prefix,omitempty"`
}

// String prints the location for messages; it holds no secret.
func (l Location) String() string {
	s := "bucket " + l.Bucket
	if l.Endpoint != "" {
		s += " at " + l.Endpoint
	}
	if l.Prefix != "" {
		s += " prefix " + l.Prefix
	}
	return s
}

// Config configures the user-cluster rules. The zero value is completed by
// Complete with the documented defaults.
type Config struct {
	// Namespace is Velero's namespace; only objects there are managed.
	// Default "velero".
	Namespace string `json:"namespace,omitempty"`
	// ManagedBSLName is the name of the managed, single default BSL.
	// Default "default".
	ManagedBSLName string `json:"managedBSLName,omitempty"`
	// Managed is this cluster's storage: the CBSL's bucket and s3Url and the
	// cluster's effective prefix (join(CBSL prefix, project, cluster)).
	// Bucket is required.
	Managed Location `json:"managed"`
	// VeleroUser is the username of Velero's service account, the only
	// identity allowed to make Velero's own defaulting pass on a new Backup.
	// Default "system:serviceaccount:velero:velero".
	VeleroUser string `json:"veleroUser,omitempty"`
	// ManagedBSLEditors are the usernames (the GitOps applier) allowed to
	// create the managed BSL or change its spec. Empty means anyone may, as
	// long as the managed invariants hold. They are also the only
	// identities a Restore may map a namespace into a reserved namespace for
	// (ValidateRestore); empty means nobody may.
	ManagedBSLEditors []string `json:"managedBSLEditors,omitempty"`
	// ManagedBSLEditorGroups are groups whose members may do the same.
	ManagedBSLEditorGroups []string `json:"managedBSLEditorGroups,omitempty"`
	// VeleroOperators are the usernames allowed to create the
	// requester-gated objects (RequesterResources: Backups, Restores,
	// Schedules, DownloadRequests, DeleteBackupRequests; or change their spec)
	// besides Velero's service account and the managed editors; others
	// need what RequesterAttributes asks (ValidateRequester).
	VeleroOperators []string `json:"veleroOperators,omitempty"`
	// VeleroOperatorGroups are groups whose members may do the same.
	VeleroOperatorGroups []string `json:"veleroOperatorGroups,omitempty"`
	// (Group system:authenticated turns the gate off: anyone RBAC lets
	// write those objects may, as with Velero alone.)
	// AllowOtherStorage admits BSLs on buckets/endpoints other than the
	// managed one, each with a credential Secret of its own (never the
	// managed credential, named or by default). Default false.
	AllowOtherStorage bool `json:"allowOtherStorage,omitempty"`
	// CredentialsSecret is the managed credentials Secret in Namespace, the
	// key Velero's default credentials file holds. The managed BSL and the
	// previous locations may name only it (or nothing); every other BSL
	// must name a Secret of its own, which only a BSL on other storage while
	// AllowOtherStorage is set may. Default "velero-cloud-credentials".
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// PreviousLocations are this cluster's earlier locations (after a
	// storage switch); a non-default BSL on exactly one of them is admitted
	// when its accessMode is ReadOnly.
	PreviousLocations []Location `json:"previousLocations,omitempty"`
	// BackupTTL is the ttl given to Backups that leave it empty or 0s.
	// Default 720h.
	BackupTTL metav1.Duration `json:"backupTTL,omitempty"`
	// DefaultVolumesToFsBackup is the value given to Backups that leave
	// defaultVolumesToFsBackup unset. Default true (nil means true).
	DefaultVolumesToFsBackup *bool `json:"defaultVolumesToFsBackup,omitempty"`
}

// Default fills the unset fields that have a fixed default (Namespace,
// ManagedBSLName, CredentialsSecret, BackupTTL, DefaultVolumesToFsBackup).
// VeleroUser depends on Namespace, so Complete derives it, after flags or a
// file may have changed the namespace.
func (c *Config) Default() {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.ManagedBSLName == "" {
		c.ManagedBSLName = DefaultManagedBSLName
	}
	if c.CredentialsSecret == "" {
		c.CredentialsSecret = DefaultCredentialsSecret
	}
	if c.BackupTTL.Duration == 0 {
		c.BackupTTL.Duration = DefaultBackupTTL
	}
	if c.DefaultVolumesToFsBackup == nil {
		t := true
		c.DefaultVolumesToFsBackup = &t
	}
}

// Validate checks the configuration, naming each broken setting under fp.
func (c *Config) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Managed.Bucket == "" {
		errs = append(errs, field.Required(fp.Child("managed", "bucket"), "the managed bucket is required"))
	}
	errs = append(errs, prefix.Validate(c.Managed.Prefix, fp.Child("managed", "prefix"))...)
	for i, l := range c.PreviousLocations {
		p := fp.Child("previousLocations").Index(i)
		if l.Bucket == "" {
			errs = append(errs, field.Required(p.Child("bucket"), ""))
		}
		errs = append(errs, prefix.Validate(l.Prefix, p.Child("prefix"))...)
	}
	if c.BackupTTL.Duration < 0 {
		errs = append(errs, field.Invalid(fp.Child("backupTTL"), c.BackupTTL.Duration.String(), "must not be negative"))
	}
	return errs
}

// Complete fills defaults (Default, then VeleroUser from Namespace),
// validates the configuration and normalizes the managed prefix; the
// returned error names the broken setting.
func (c *Config) Complete() error {
	c.Default()
	if c.VeleroUser == "" {
		c.VeleroUser = "system:serviceaccount:" + c.Namespace + ":velero"
	}
	if errs := c.Validate(nil); len(errs) > 0 {
		return fmt.Errorf("invalid webhook configuration: %w", errs.ToAggregate())
	}
	c.Managed.Prefix = prefix.Normalize(c.Managed.Prefix)
	return nil
}

// MayEditManaged reports whether the requester may create the managed BSL
// or change its spec: a named editor, or anyone when no editor is named.
func (c *Config) MayEditManaged(u User) bool {
	if len(c.ManagedBSLEditors) == 0 && len(c.ManagedBSLEditorGroups) == 0 {
		return true
	}
	return c.namedEditor(u)
}

// namedEditor reports whether the requester is one of ManagedBSLEditors or
// a member of one of ManagedBSLEditorGroups. Empty lists name nobody: rules
// that exempt only the named editors (the Restore guardrails) hold for
// everyone then.
func (c *Config) namedEditor(u User) bool {
	if slices.Contains(c.ManagedBSLEditors, u.Name) {
		return true
	}
	return slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(c.ManagedBSLEditorGroups, g) })
}

// User is the requester of an admission review.
type User struct {
	// Name is the username (for a service account
	// system:serviceaccount:<ns>:<name>).
	Name string
	// Groups are the requester's groups.
	Groups []string
	// UID and Extra complete the identity for SubjectAccessReviews.
	UID   string
	Extra map[string][]string
}

// sameStorage reports whether two locations may share bucket and endpoint
// (storage.SameStorage: endpoints count as the same unless proven
// different).
func sameStorage(a, b Location) bool {
	return storage.SameStorage(a.Bucket, a.Endpoint, b.Bucket, b.Endpoint)
}
