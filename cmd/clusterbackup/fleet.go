//go:build !webhookonly

package main

// clusterbackup fleet status: the backup health of every cluster of a fleet,
// read from object storage (internal/fleet).

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// runFleet dispatches the fleet subcommands.
func runFleet(ctx context.Context, s streams, args []string) error {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(s.Err, "Usage: clusterbackup fleet status -f FILE|DIR|- [--values FILE]... [-o table|json|html] [flags]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return fmt.Errorf("%w: the only fleet subcommand is status", errUsage)
	}
	return runFleetStatus(ctx, s, args[1:])
}

// runFleetStatus inventories the clusters of the inputs (the render inputs:
// Clusters, their CBSLs and credential Secrets) and prints the report. It
// fails (exit 1) when a cluster is not protected, after printing.
func runFleetStatus(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "fleet status")
	var (
		files, values []string
		check         s3check.Options
		o             fleet.Options
	)
	fs.Var(listOf(&files), "f", "a `file, directory or -` (stdin) with Clusters, ClusterBackupStorageLocations and their credential Secrets, as for render, and the seed release loop's state ConfigMaps for the RELEASE column (repeatable)")
	fs.Var(listOf(&values), "values", "a YAML `file` of chart values as given to render; its schedules are the Schedules each cluster is judged against (repeatable)")
	out := fs.String("o", "table", "output `format`: table, json or html")
	fs.Var(&check.Policy.Allow, "allow-cidr", "CIDR or address the S3 client may dial although the built-in rules deny it (e.g. 127.0.0.1 for a local S3); repeatable")
	fs.Var(&check.Policy.Deny, "deny-cidr", "CIDR the S3 client must never dial; repeatable")
	fs.IntVar(&o.Concurrency, "concurrency", fleet.DefaultConcurrency, "clusters scanned at once")
	fs.DurationVar(&o.ClusterTimeout, "timeout", fleet.DefaultClusterTimeout, "time limit of one cluster's scan, retries included")
	fs.IntVar(&o.MaxReads, "max-reads", fleet.DefaultMaxReads, "velero-backup.json files read per cluster at most")
	fs.DurationVar(&o.Grace, "grace", 0, "how long past a Schedule's run a backup may take before the cluster is late (default: half the interval, at most 1h)")
	fs.DurationVar(&o.Unscheduled, "unscheduled-interval", fleet.DefaultUnscheduled, "expected backup interval of a cluster without an unpaused Schedule")
	drillKey := fs.String("drill-public-key", "", "PEM ed25519 public key `file` of the seed's restore drills: judge each cluster's drill records (verified, drill-failed, drill-stale, never-drilled; docs/drills.md)")
	fs.DurationVar(&o.DrillMaxAge, "drill-max-age", fleet.DefaultDrillMaxAge, "how old the newest passed drill may be before the cluster's drills are stale")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup fleet status -f FILE|DIR|- [--values FILE]... [-o table|json|html] [flags]\n\nReads every cluster's Velero backups from object storage and judges it protected, late, failing,\nnever-backed-up, storage-unreachable or credentials-missing. Exit 1 when a cluster is not protected.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return fmt.Errorf("%w: give the fleet with -f (Clusters, their ClusterBackupStorageLocations and credential Secrets)", errUsage)
	case *out != "table" && *out != "json" && *out != "html":
		return fmt.Errorf("%w: -o must be table, json or html, not %q", errUsage, *out)
	}
	clusters, err := fleetClusters(ctx, s, files, values)
	if err != nil {
		return err
	}
	if o.DrillKey, err = readDrillKey(*drillKey); err != nil {
		return err
	}
	o.Checker = s3check.New(check)
	rep := fleet.Inventory(ctx, clusters, o)
	switch *out {
	case "json":
		err = rep.WriteJSON(s.Out)
	case "html":
		err = rep.WriteHTML(s.Out)
	default:
		err = rep.WriteTable(s.Out)
	}
	if err != nil {
		return err
	}
	if bad := rep.NotProtected(); len(bad) > 0 {
		more := ""
		if len(bad) > 10 {
			bad, more = bad[:10], fmt.Sprintf(" and %d more", len(bad)-10)
		}
		return fmt.Errorf("%d of %d clusters not protected: %s%s", len(rep.NotProtected()), len(rep.Clusters), strings.Join(bad, ", "), more)
	}
	return drillsNotVerified(rep)
}

// fleetClusters reads the inputs with the one loader (release state
// ConfigMaps accepted: each cluster's Release comes from the one in its
// CBSL's namespace; other ConfigMaps are ignored), matches them as render
// does (renderer.BuildFleet: every problem named with source, object, field
// and rule) and returns each cluster with its resolved location and the
// Schedules the renderer renders for it (renderer.Values with the --values
// files, so the expected interval is what is deployed).
func fleetClusters(ctx context.Context, s streams, files, values []string) ([]fleet.Cluster, error) {
	objs := &input.Objects{AcceptConfigMaps: true}
	if err := objs.LoadPaths(s.In, files...); err != nil {
		return nil, err
	}
	// The release loop's state ConfigMaps, by namespace (the CBSLs').
	releases := map[string][]corev1.ConfigMap{}
	for _, cm := range objs.ReleaseStates {
		releases[cm.Object.Namespace] = append(releases[cm.Object.Namespace], *cm.Object)
	}
	states := map[string]map[string]fleet.ReleaseInfo{}
	for ns, cms := range releases {
		states[ns] = fleet.ReleaseStates(cms)
	}
	inputs, err := renderer.BuildFleet(objs)
	if err != nil {
		return nil, err
	}
	extra, err := loadValueFiles(values)
	if err != nil {
		return nil, err
	}
	opts := renderer.Options{Values: extra}
	out := make([]fleet.Cluster, 0, len(inputs))
	for _, in := range inputs {
		v, err := renderer.Values(in, opts)
		if err != nil {
			return nil, err
		}
		schedules, err := fleet.SchedulesFromValues(v)
		if err != nil {
			return nil, fmt.Errorf("--values: cluster %q: %w", in.ClusterID(), err)
		}
		c := fleet.ClusterFor(ctx, in.Cluster, in.CBSL, objs.SecretGetter(), schedules)
		ns := input.DefaultNamespace
		if in.CBSL != nil {
			ns = in.CBSL.Namespace
		}
		c.Release = states[ns][c.ClusterID]
		out = append(out, c)
	}
	return out, nil
}
