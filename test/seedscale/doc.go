// Package seedscale holds the seed benchmarks (docs/benchmarks.md), whose
// test files build only with the tag seedbench, so `make test` never runs
// them: the 1,000-cluster seed (`make bench-seed`: the release loop, the
// credentials loop and rollout waves of one `clusterbackup controllers`
// process against a seed with 1,000 backup-enabled Clusters) and the
// restore drills one seed sustains at the default cap (`make
// bench-drills`).
package seedscale
