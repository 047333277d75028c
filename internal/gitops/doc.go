// Package gitops is what only the GitOps integrations need on top of the
// one settings type of a render (renderer/settings: the parameters, their
// rules, the RenderConfig document), so the Argo CD plugin and the KRM
// function render the same objects as the CLI and the seed's release loop
// for the same settings:
//
//   - argocd.go: the Argo CD config-management plugin environment
//     (ARGOCD_APP_PARAMETERS, PARAM_*, ARGOCD_ENV_*, KUBE_VERSION,
//     KUBE_API_VERSIONS) applied to settings.Params.
//   - app.go: an Argo CD application directory: the marker file
//     clusterbackup.yaml (a RenderConfig), the environment, the inputs.
//   - krm.go: the KRM function (ResourceList in, ResourceList out; its
//     functionConfig is a RenderConfig or a ConfigMap).
//   - select.go: picking the one cluster an Application or a function
//     renders (parameter cluster) and rendering it.
//   - lifecycle.go: parameters lifecycle and previousLocations mapped onto
//     a cluster's renderer.Lifecycle.
//
// The parameters only these integrations take (cluster, inputs, lifecycle,
// previousLocations) are listed with their reasons in settings.GitOpsOnly.
package gitops
