// Package controllers runs the seed's loops, in a Deployment of their own
// (`clusterbackup controllers`, charts/clusterbackup-seed), apart from the
// seed webhooks: the loops hold admin access to every user cluster and read
// answers from API servers tenants control, so a hostile user cluster can at
// worst stall a loop, never the `failurePolicy: Fail` webhooks every tenant's
// Clusters and CBSLs pass through.
//
// One package per loop, each a controller-runtime controller or runnable:
//
//   - cbslstatus: writes CBSL status (phase, message, lastValidationTime)
//     from the same reachability check the seed webhook runs;
//   - credentials: delivers each cluster's storage credentials and Kopia
//     repository password into its user cluster;
//   - inventory: the fleet backup inventory, read from object storage, as
//     clusterbackup_fleet_* metrics (every replica);
//   - release: renders each enabled cluster's Velero release and applies it
//     into the user cluster;
//   - drill: restore drills into fenced scratch namespaces of each user
//     cluster, with signed evidence records (docs/drills.md);
//   - userclient: the one way every loop reaches a user cluster (admin
//     kubeconfig Secret → cached, bounded client).
//
// New builds the manager: leader election (the loops run on the holder of
// a Lease only), /healthz and /readyz, Prometheus metrics, and an informer
// cache limited to the CBSL namespace.
package controllers
