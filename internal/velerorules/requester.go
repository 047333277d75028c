package velerorules

import (
	"context"
	"fmt"
	"slices"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Authorizer answers SubjectAccessReviews: whether a requester may do what
// attrs describe. The server's asks the user cluster's API server.
type Authorizer interface {
	Allowed(ctx context.Context, u User, attrs authorizationv1.ResourceAttributes) (bool, error)
}

// Requester-gated resources: whoever may create one of these in Velero's
// namespace reaches every namespace of the cluster through Velero — a
// Backup or Schedule (and a DownloadRequest for its tarball) reads every
// Secret, a Restore writes any object anywhere, a DeleteBackupRequest
// destroys a backup of every namespace in the bucket for good.
const (
	ResourceBackups              = "backups"
	ResourceSchedules            = "schedules"
	ResourceRestores             = "restores"
	ResourceDownloadRequests     = "downloadrequests"
	ResourceDeleteBackupRequests = "deletebackuprequests"
)

// RequesterResources returns every requester-gated resource: the webhook
// registers each (webhook/user) and the CEL policy clusterbackup-requester
// matches each; tests of both layers range over this list.
func RequesterResources() []string {
	return []string{ResourceBackups, ResourceSchedules, ResourceRestores, ResourceDownloadRequests, ResourceDeleteBackupRequests}
}

// RequesterAttributes is the SubjectAccessReview that admits a requester
// nobody named for resource (ValidateRequester):
//   - Backups, Schedules and DownloadRequests: list Secrets in every
//     namespace (the requester could read what a backup carries anyway);
//   - Restores: every verb on every resource in every namespace
//     (cluster-admin: a Restore writes anything, cluster-scoped RBAC
//     included);
//   - DeleteBackupRequests: cluster-admin too. Velero then deletes the
//     backup's data in the bucket, which nothing undoes; deleting is not
//     reading, so the Secret reader's bar does not fit, and a backup holds
//     every namespace's objects, so only whoever may already delete and
//     rewrite all of them may destroy their copy. Velero's service account
//     (its garbage collection of expired backups) and the named operators
//     pass by name (NamedRequester).
//
// The CEL policy clusterbackup-requester asks the same through its
// authorizer.
func RequesterAttributes(resource string) authorizationv1.ResourceAttributes {
	if resource == ResourceRestores || resource == ResourceDeleteBackupRequests {
		return authorizationv1.ResourceAttributes{Verb: "*", Group: "*", Resource: "*"}
	}
	return authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}
}

// NamedRequester reports whether u is an identity the configuration names
// for Velero's objects: Velero's service account (it creates the Backups of
// Schedules and fills their defaults, and the DeleteBackupRequests of expired
// Backups), a managed editor, or one of
// VeleroOperators / VeleroOperatorGroups.
func (c *Config) NamedRequester(u User) bool {
	return u.Name == c.VeleroUser || c.namedEditor(u) || slices.Contains(c.VeleroOperators, u.Name) ||
		slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(c.VeleroOperatorGroups, g) })
}

// ValidateRequester checks who creates or changes the spec of a Velero
// object of resource (ResourceBackups, …): a named requester
// (NamedRequester), or one az allows RequesterAttributes(resource). A
// namespace-level user ("edit" in Velero's namespace) is neither, so cannot
// turn Velero into a reader of every Secret of the cluster, nor have it
// delete a backup. An authorizer error denies.
func ValidateRequester(ctx context.Context, c *Config, az Authorizer, u User, resource string) field.ErrorList {
	if c.NamedRequester(u) {
		return nil
	}
	attrs := RequesterAttributes(resource)
	p := field.NewPath("metadata")
	if az == nil {
		return field.ErrorList{field.InternalError(p, fmt.Errorf("no authorizer to check whether %q may create %s", u.Name, resource))}
	}
	ok, err := az.Allowed(ctx, u, attrs)
	if err != nil {
		return field.ErrorList{field.InternalError(p, fmt.Errorf("check whether %q may create %s: %w", u.Name, resource, err))}
	}
	if ok {
		return nil
	}
	return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
		"%q may not create or change %s in %s: %s; only Velero's service account, the managed editors, the Velero operators (webhook.veleroOperators, veleroOperatorGroups) and whoever may %s may",
		u.Name, resource, c.Namespace, consequence(resource), describe(attrs)))}
}

// consequence says in words what Velero would do for the requester.
func consequence(resource string) string {
	if resource == ResourceDeleteBackupRequests {
		return "Velero would delete the backup's data in the bucket for good"
	}
	return "Velero would read or write every namespace for it"
}

// describe says in words what a RequesterAttributes review asks.
func describe(a authorizationv1.ResourceAttributes) string {
	if a.Verb == "*" {
		return "do everything in every namespace (cluster-admin)"
	}
	return a.Verb + " " + a.Resource + " in every namespace"
}

// Allowed implements Authorizer for tests and tools: it allows everyone,
// as the API server allows system:masters.
func (o *Objects) Allowed(context.Context, User, authorizationv1.ResourceAttributes) (bool, error) {
	return true, nil
}
