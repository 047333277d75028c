//go:build !webhookonly

package main

// clusterbackup check: the seed webhook's CBSL validation and S3 reachability
// check, run from a laptop or CI against files.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// runCheck validates every CBSL in the files exactly as the seed webhook
// does (defaults, field rules, credential Secret) and checks its S3 endpoint
// with its own credentials. Exit 0 when all are usable, 1 otherwise.
func runCheck(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "check")
	var (
		files []string
		opts  s3check.Options
		probe bool
	)
	fs.Var(listOf(&files), "f", "YAML file with ClusterBackupStorageLocations and their credential Secrets (repeatable, '-' for stdin)")
	fs.DurationVar(&opts.Budget.Duration, "budget", s3check.DefaultBudget, "time limit of one S3 check, retries included")
	fs.Var(&opts.Policy.Allow, "allow-cidr", "CIDR or address the check may dial although the built-in rules deny it (e.g. 127.0.0.1 for a local S3); repeatable")
	fs.Var(&opts.Policy.Deny, "deny-cidr", "CIDR the check must never dial, even when allowlisted (e.g. the pod and service networks); repeatable, comma-separated")
	fs.BoolVar(&probe, "probe-isolation", false, "also warn when the credential can list the bucket root or a sibling prefix")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup check -f cbsl.yaml -f secret.yaml [flags]\n\nValidates ClusterBackupStorageLocations like the seed webhook and checks their S3 endpoints.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give the input files with -f", errUsage)
	}
	objs, err := input.Load(s.In, files...)
	if err != nil {
		return err
	}
	if len(objs.CBSLs) == 0 {
		return fmt.Errorf("%w: no ClusterBackupStorageLocation in %s", errUsage, strings.Join(files, ", "))
	}
	opts.CacheTTL, opts.FailureTTL = duration.Of(-1), duration.Of(-1)
	opts.Default()
	if errs := opts.Validate(nil); len(errs) > 0 {
		return fmt.Errorf("%w: %v", errUsage, errs.ToAggregate())
	}
	checker := s3check.New(opts)
	failed := 0
	for _, c := range objs.CBSLs {
		if !checkOne(ctx, s.Out, c.Object, objs.SecretGetter(), checker, probe) {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d storage location(s) failed", failed, len(objs.CBSLs))
	}
	return nil
}

// checkOne prints the verdict on one CBSL and reports whether it is usable.
func checkOne(ctx context.Context, w io.Writer, c *kkpv1.ClusterBackupStorageLocation, secrets storage.SecretGetter, checker *s3check.Checker, probe bool) bool {
	storage.DefaultCBSL(c)
	ev, err := s3check.Evaluate(ctx, c, secrets, checker, probe)
	fmt.Fprintf(w, "clusterbackupstoragelocation %s/%s\n", c.Namespace, c.Name)
	if err != nil {
		fmt.Fprintf(w, "  error:        %v\n", err)
		return false
	}
	if len(ev.Errors) > 0 {
		fmt.Fprintf(w, "  validation:   %d error(s)\n", len(ev.Errors))
		for _, e := range ev.Errors {
			fmt.Fprintf(w, "    - %s\n", e.Error())
		}
	} else {
		fmt.Fprintln(w, "  validation:   ok")
	}
	for _, warn := range ev.Warnings {
		fmt.Fprintf(w, "  warning:      %s\n", warn)
	}
	if ev.Check == nil {
		fmt.Fprintln(w, "  reachability: not checked (fix the validation errors first)")
		return false
	}
	r := ev.Check
	if r.OK() {
		fmt.Fprintf(w, "  reachability: OK in %s: %s\n", r.Duration.Round(time.Millisecond), r.Message)
		return len(ev.Errors) == 0
	}
	fmt.Fprintf(w, "  reachability: FAILED (%s) after %s: %s\n", r.Class, r.Duration.Round(time.Millisecond), r.Message)
	return false
}
