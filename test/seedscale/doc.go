// Package seedscale holds the 1,000-cluster seed benchmark (docs/benchmarks.md,
// `make bench-seed`): the release loop, the credentials loop and rollout
// waves of one `clusterbackup controllers` process against a seed with
// 1,000 backup-enabled Clusters. Its test files build only with the tag
// seedbench, so `make test` never runs it.
package seedscale
