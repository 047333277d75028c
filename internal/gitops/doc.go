// Package gitops maps the settings of the GitOps integrations onto
// renderer.Options, so every path renders the same objects for the same
// settings:
//
//   - params.go: Params, the named settings (cluster, overlay, registry,
//     veleroVersion, pluginVersion, nodeAgent, credentials,
//     credentialsSecret, kubeVersion, apiVersions, inputs, lifecycle,
//     previousLocations), their defaults and their mapping onto
//     renderer.Options.
//   - lifecycle.go: lifecycle and previousLocations mapped onto a
//     cluster's renderer.Lifecycle.
//   - config.go: the RenderConfig document (the Argo CD marker file
//     clusterbackup.yaml and the KRM functionConfig).
//   - argocd.go: the Argo CD config-management plugin environment
//     (ARGOCD_APP_PARAMETERS, PARAM_*, ARGOCD_ENV_*, KUBE_VERSION,
//     KUBE_API_VERSIONS).
//   - krm.go: the KRM function (ResourceList in, ResourceList out).
//   - select.go: picking the one cluster an Application or a function renders.
//   - sharedcreds.go: clusters that share an access key.
package gitops
