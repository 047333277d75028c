//go:build !webhookonly

package main

// commands lists every subcommand; each lives in its own file.
var commands = []command{
	{"render", "render the managed Velero release of user clusters (default: the bundled example fleet)", runRender},
	{"diff", "compare two renders; refuse changes that would lose backups (CRDs, BSLs with backups)", runDiff},
	{"webhook", "serve the admission webhook (user-cluster or seed mode)", runWebhook},
	{"controllers", "run the seed's loops: CBSL status, credentials, fleet inventory, release (leader-elected)", runControllers},
	{"webhook-config", "print the user-cluster webhook's flags or config file for a rendered cluster (URL mode)", runWebhookConfig},
	{"check", "validate a ClusterBackupStorageLocation and check its S3 endpoint", runCheck},
	{"policy", "emit S3 bucket and IAM policies that confine a cluster to its prefix", runPolicy},
	{"download", "download a backup tarball from a cluster's prefix, or print a presigned URL", runDownload},
	{"drill", "restore drills: run one from the seed, verify a signed record offline, make a signing key", runDrill},
	{"fleet", "fleet status: which clusters are protected, read from object storage (table, json, html)", runFleet},
	{"cmp", "Argo CD config-management plugin (cmp generate)", runCMP},
	{"krm", "kustomize KRM function: ResourceList on stdin, rendered list on stdout", runKRM},
	{"version", "print the version and the pinned Velero pair", runVersion},
}
