package velerorules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// systemNamespaces are the namespaces of the cluster itself no Restore may
// map another namespace into; Velero's own namespace (Config.Namespace) is
// reserved as well.
var systemNamespaces = []string{"kube-system", "kube-node-lease", "kube-public"}

// validateNamespaceMapping denies a mapping that restores a namespace into a
// system namespace or into Velero's namespace: that would plant a backup's
// objects (Secrets, RBAC, workloads) among the cluster's or Velero's own.
// Restoring a namespace into itself (no mapping, or a mapping to the same
// name) stays allowed, and so does every mapping of a named managed editor
// (Config.ManagedBSLEditors, ManagedBSLEditorGroups; none are named by
// default). Entries that old already held unchanged pass, so the writes
// Velero makes to an admitted Restore do not depend on who created it.
func validateNamespaceMapping(cfg *Config, u User, r, old *velerov1.Restore, fldPath *field.Path) field.ErrorList {
	if len(r.Spec.NamespaceMapping) == 0 || cfg.namedEditor(u) {
		return nil
	}
	var before map[string]string
	if old != nil {
		before = old.Spec.NamespaceMapping
	}
	srcs := make([]string, 0, len(r.Spec.NamespaceMapping))
	for src := range r.Spec.NamespaceMapping {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs)
	var errs field.ErrorList
	for _, src := range srcs {
		dst := r.Spec.NamespaceMapping[src]
		if dst == src || !reservedNamespace(cfg, dst) {
			continue
		}
		if prev, ok := before[src]; ok && prev == dst {
			continue
		}
		errs = append(errs, field.Forbidden(fldPath.Key(src), fmt.Sprintf(
			"restores namespace %q into %q: kube-system, kube-node-lease, kube-public and %s are reserved; only the managed editors (webhook.managedBSLEditors, managedBSLEditorGroups) may restore into them",
			src, dst, cfg.Namespace)))
	}
	return errs
}

// reservedNamespace reports whether ns is a system namespace or Velero's.
func reservedNamespace(cfg *Config, ns string) bool {
	return ns == cfg.Namespace || slices.Contains(systemNamespaces, ns)
}

// clusterRBACWarning is the warning for a Restore that brings back
// ClusterRoles or ClusterRoleBindings.
const clusterRBACWarning = "this Restore may bring back cluster-scoped RBAC (ClusterRoles, ClusterRoleBindings); review what they grant"

// clusterRBACResources are the spellings under which Velero resolves each
// cluster-scoped RBAC resource (plural, singular, fully qualified; Velero
// matches resource names case-insensitively).
var clusterRBACResources = [][]string{
	{"clusterroles", "clusterrole", "clusterroles.rbac.authorization.k8s.io"},
	{"clusterrolebindings", "clusterrolebinding", "clusterrolebindings.rbac.authorization.k8s.io"},
}

// restoresClusterRBAC reports whether Velero would restore ClusterRoles or
// ClusterRoleBindings the Backup holds, judged from the spec alone the way
// Velero filters (pkg/restore): cluster-scoped resources are restored when
// includeClusterResources is true, or unset while every namespace is
// restored; and the resource filters must let one of them through.
func restoresClusterRBAC(s *velerov1.RestoreSpec) bool {
	if s.IncludeClusterResources != nil && !*s.IncludeClusterResources {
		return false
	}
	allNamespaces := len(s.ExcludedNamespaces) == 0 && !slices.ContainsFunc(s.IncludedNamespaces, func(n string) bool { return n != "*" })
	if s.IncludeClusterResources == nil && !allNamespaces {
		return false
	}
	included, excluded := lowered(s.IncludedResources), lowered(s.ExcludedResources)
	for _, names := range clusterRBACResources {
		named := func(r string) bool { return slices.Contains(names, r) }
		in := len(included) == 0 || slices.Contains(included, "*") || slices.ContainsFunc(included, named)
		out := slices.Contains(excluded, "*") || slices.ContainsFunc(excluded, named)
		if in && !out {
			return true
		}
	}
	return false
}

func lowered(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}
