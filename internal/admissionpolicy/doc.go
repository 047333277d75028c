// Package admissionpolicy holds the tests of the chart's admission policies
// (charts/velero-managed/templates/admission-policies-*.yaml): the
// ValidatingAdmissionPolicies that let the API server enforce clusterbackup's
// stateless rules while the webhook is down, and the MutatingAdmissionPolicies
// that fill Backup and Schedule defaults without it. The tests render the
// policies with the Helm SDK, apply them to a real kube-apiserver with no
// webhook registered, and drive every rule with allowed and denied objects.
// docs/admission-layers.md lists every rule and the layer that enforces it.
package admissionpolicy
