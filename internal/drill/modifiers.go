package drill

import "strings"

// Excluded is one kind a drill never restores, and why.
type Excluded struct {
	// Resource is the resource as Velero's excludedResources names it
	// (<resource>.<group>).
	Resource string
	// Kind is its kind, as the backup's resource list names it.
	Kind string
	// Why it is left out.
	Why string
}

// ExcludedResources are the kinds a drill leaves out of its Restore: they
// would act on the world outside the scratch namespaces (traffic, DNS,
// certificates, deployments by a GitOps controller) or weaken the deny-all
// NetworkPolicy. Cluster-scoped resources are left out as a whole
// (includeClusterResources: false), the webhook configurations are listed
// anyway so no Velero default can bring them back.
var ExcludedResources = []Excluded{
	{"networkpolicies.networking.k8s.io", "networking.k8s.io/NetworkPolicy", "NetworkPolicies add up: a restored one could allow what the drill's deny-all denies"},
	{"ingresses.networking.k8s.io", "networking.k8s.io/Ingress", "an ingress controller would route outside traffic to the copy"},
	{"ingresses.extensions", "extensions/Ingress", "as above, the old group"},
	{"gateways.gateway.networking.k8s.io", "gateway.networking.k8s.io/Gateway", "a gateway controller would expose the copy"},
	{"httproutes.gateway.networking.k8s.io", "gateway.networking.k8s.io/HTTPRoute", "routes outside traffic to the copy"},
	{"grpcroutes.gateway.networking.k8s.io", "gateway.networking.k8s.io/GRPCRoute", "routes outside traffic to the copy"},
	{"tlsroutes.gateway.networking.k8s.io", "gateway.networking.k8s.io/TLSRoute", "routes outside traffic to the copy"},
	{"validatingwebhookconfigurations.admissionregistration.k8s.io", "admissionregistration.k8s.io/ValidatingWebhookConfiguration", "would intercept the live cluster's requests"},
	{"mutatingwebhookconfigurations.admissionregistration.k8s.io", "admissionregistration.k8s.io/MutatingWebhookConfiguration", "would intercept the live cluster's requests"},
	{"certificates.cert-manager.io", "cert-manager.io/Certificate", "cert-manager would order certificates from a CA"},
	{"certificaterequests.cert-manager.io", "cert-manager.io/CertificateRequest", "as above"},
	{"issuers.cert-manager.io", "cert-manager.io/Issuer", "as above"},
	{"orders.acme.cert-manager.io", "acme.cert-manager.io/Order", "ACME orders reach the CA"},
	{"challenges.acme.cert-manager.io", "acme.cert-manager.io/Challenge", "ACME challenges reach the CA"},
	{"applications.argoproj.io", "argoproj.io/Application", "Argo CD would deploy into the live cluster"},
	{"applicationsets.argoproj.io", "argoproj.io/ApplicationSet", "as above"},
	{"kustomizations.kustomize.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io/Kustomization", "Flux would deploy into the live cluster"},
	{"helmreleases.helm.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io/HelmRelease", "as above"},
	{"externalsecrets.external-secrets.io", "external-secrets.io/ExternalSecret", "would reach a secret store outside the cluster"},
}

// veleroSkips are kinds Velero itself never restores (its
// nonRestorableResources), so they are not expected back.
var veleroSkips = []string{"v1/Event", "events.k8s.io/Event", "velero.io/Backup", "velero.io/Restore", "velero.io/ResticRepository", "velero.io/BackupRepository", "v1/Node", "storage.k8s.io/CSINode", "storage.k8s.io/VolumeAttachment"}

// ExcludedResourceNames returns the Restore's spec.excludedResources.
func ExcludedResourceNames() []string {
	out := make([]string, len(ExcludedResources))
	for i, e := range ExcludedResources {
		out[i] = e.Resource
	}
	return out
}

// restoredKind reports whether a resource-list key (<apiVersion>/<Kind>,
// e.g. apps/v1/Deployment or v1/Pod) is a kind the drill expects back.
func restoredKind(key string) bool {
	gk := groupKind(key)
	for _, e := range ExcludedResources {
		if e.Kind == gk {
			return false
		}
	}
	for _, s := range veleroSkips {
		if s == gk {
			return false
		}
	}
	return true
}

// groupKind turns <group>/<version>/<Kind> into <group>/<Kind> and
// v1/<Kind> (the core group) into v1/<Kind>.
func groupKind(key string) string {
	parts := strings.Split(key, "/")
	if len(parts) == 3 {
		return parts[0] + "/" + parts[2]
	}
	return key
}

// ModifiersKey is the key of the resource modifiers in their ConfigMap.
const ModifiersKey = "drill-modifiers.yaml"

// Modifiers are Velero's resource modifiers (version v1) applied to every
// restored object: CronJobs and Jobs suspended; PersistentVolumeClaims lose
// spec.volumeName, so that they get a new volume (File System Restore fills
// it) instead of claiming the live one — Velero clears it only when it
// restores the PV itself, which a drill (no cluster-scoped resources) does
// not; Services of type
// LoadBalancer or NodePort become ClusterIP without external IPs, load
// balancer settings or node ports (the Restore also sets
// preserveNodePorts: false). A ResourceQuota in each scratch namespace
// (services.loadbalancers and services.nodeports 0) refuses what slips
// through.
const Modifiers = `version: v1
resourceModifierRules:
- conditions:
    groupResource: cronjobs.batch
  mergePatches:
  - patchData: '{"spec":{"suspend":true}}'
- conditions:
    groupResource: jobs.batch
  mergePatches:
  - patchData: '{"spec":{"suspend":true}}'
- conditions:
    groupResource: persistentvolumeclaims
  mergePatches:
  - patchData: '{"spec":{"volumeName":null}}'
- conditions:
    groupResource: services
    matches:
    - path: /spec/type
      value: LoadBalancer
  mergePatches:
  - patchData: '{"spec":{"type":"ClusterIP","externalIPs":null,"loadBalancerIP":null,"loadBalancerSourceRanges":null,"loadBalancerClass":null,"allocateLoadBalancerNodePorts":null,"externalTrafficPolicy":null,"healthCheckNodePort":null}}'
- conditions:
    groupResource: services
    matches:
    - path: /spec/type
      value: NodePort
  mergePatches:
  - patchData: '{"spec":{"type":"ClusterIP","externalIPs":null,"externalTrafficPolicy":null}}'
- conditions:
    groupResource: services
    matches:
    - path: /spec/type
      value: ClusterIP
  mergePatches:
  - patchData: '{"spec":{"externalIPs":null}}'
`
