// Package settings is the one settings type of a release render: the named
// parameters (overlay, registry, veleroVersion, pluginVersion, nodeAgent,
// credentials, credentialsSecret, externalSecretStore, kubeVersion,
// apiVersions, and the GitOps-only cluster, inputs, lifecycle,
// previousLocations), their defaults, their rules and their mapping onto
// renderer.Options. The CLI's render flags, the Argo CD plugin, the KRM
// function and the seed's release loop all parse into Params and call
// Params.Options, so a value is accepted or refused with the same rule text
// everywhere, each error naming its own source (a flag, an environment
// variable, a document field).
//
//   - params.go: the parameters (Specs) and Params, settings built up from
//     several sources.
//   - options.go: Params.Options, the mapping onto renderer.Options and
//     every rule (overlay, tags in the pinned minor releases, digests,
//     registry, nodeAgent, credentials mode and store, kubeVersion).
//   - config.go: the RenderConfig document (Params.ApplyConfig).
//   - scope.go: which front end takes which setting: the CLI flag of a
//     parameter (FlagName), the parameters only the GitOps tools take
//     (GitOpsOnly) and the CLI's render flags that are no parameter
//     (CLIOnly), each with its reason.
//
// It imports renderer and internal/versions only; internal/gitops (Argo CD
// environment, KRM ResourceList, cluster selection, life cycle),
// cmd/clusterbackup and controllers/release build on it.
package settings
