//go:build !webhookonly

package main

// clusterbackup drill: restore drills with signed evidence (docs/drills.md):
// run one from the seed, verify a record offline, make a signing key.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

const drillUsage = `Usage:
  clusterbackup drill run --cluster ID --signing-key FILE [--kubeconfig SEED] [flags]
  clusterbackup drill verify --public-key FILE RECORD|- ...
  clusterbackup drill keygen --out PRIVATE.pem > PUBLIC.pem`

// runDrill dispatches the drill subcommands.
func runDrill(ctx context.Context, s streams, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return runDrillRun(ctx, s, args[1:])
		case "verify":
			return runDrillVerify(s, args[1:])
		case "keygen":
			return runDrillKeygen(s, args[1:])
		case "-h", "--help":
			fmt.Fprintln(s.Err, drillUsage)
			return nil
		}
	}
	fmt.Fprintln(s.Err, drillUsage)
	return fmt.Errorf("%w: the drill subcommands are run, verify and keygen", errUsage)
}

// drillRunArgs is the parsed command line of `drill run`.
type drillRunArgs struct {
	drill      drill.Options
	users      userclient.Options
	check      s3check.Options
	cluster    string
	kubeconfig string
	cbslNS     string
}

// bindDrillRunFlags binds the flags of `drill run` to a. a must be
// defaulted (drill.Options.Default, userclient.Options.Default, the
// controllers' CBSL namespace): each flag's default is the field's value,
// so the drill's defaults are written once, in package drill, as the
// scheduled loop's are.
func bindDrillRunFlags(fs *flag.FlagSet, a *drillRunArgs) {
	o := &a.drill
	fs.StringVar(&a.cluster, "cluster", a.cluster, "ID of the KKP Cluster to drill (required)")
	fs.StringVar(&a.kubeconfig, "kubeconfig", a.kubeconfig, "kubeconfig of the seed (default: in-cluster or $KUBECONFIG)")
	fs.StringVar(&a.cbslNS, "cbsl-namespace", a.cbslNS, "namespace of the ClusterBackupStorageLocations and their Secrets")
	fs.StringVar(&o.SigningKeyFile, "signing-key", o.SigningKeyFile, "PEM ed25519 private key `file` that signs the record (required)")
	fs.DurationVar(&o.Timeout.Duration, "timeout", o.Timeout.Duration, "how long the Restore may take")
	fs.DurationVar(&o.CleanupTimeout.Duration, "cleanup-timeout", o.CleanupTimeout.Duration, "how long to wait for the scratch namespaces to be gone")
	fs.IntVar(&o.Among, "among", o.Among, "pick the backup at random among the newest N Completed ones")
	fs.IntVar(&o.MaxNamespaces, "max-namespaces", o.MaxNamespaces, "scratch namespaces at most")
	fs.StringVar(&o.VeleroNamespace, "velero-namespace", o.VeleroNamespace, "Velero's namespace in the user cluster")
	fs.Var(&a.check.Policy.Allow, "allow-cidr", "CIDR or address the S3 client may dial although the built-in rules deny it; repeatable")
	fs.Var(&a.check.Policy.Deny, "deny-cidr", "CIDR the S3 client must never dial; repeatable")
	a.users.AddFlags(fs)
}

// parseDrillRunArgs parses the flags of `drill run` over the defaults and
// validates them (usage errors).
func parseDrillRunArgs(s streams, args []string) (drillRunArgs, error) {
	a := drillRunArgs{cbslNS: controllers.DefaultCBSLNamespace}
	a.drill.Default()
	a.users.Default()
	fs := newFlagSet(s, "drill run")
	bindDrillRunFlags(fs, &a)
	fs.Usage = func() {
		fmt.Fprintln(s.Err, drillUsage+"\n\nrun: restores a recent backup of one cluster into scratch namespaces of that cluster, judges it,\ncleans up and writes a signed record beside the cluster's prefix. Exit 1 when the drill failed.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return a, err
	}
	switch {
	case a.cluster == "":
		return a, fmt.Errorf("%w: --cluster is required", errUsage)
	case a.drill.SigningKeyFile == "":
		return a, fmt.Errorf("%w: --signing-key is required", errUsage)
	}
	a.drill.Default()
	if errs := a.drill.Validate(nil); len(errs) > 0 {
		return a, fmt.Errorf("%w: %v", errUsage, errs.ToAggregate())
	}
	return a, nil
}

// runDrillRun drills one cluster from the seed, as the scheduled loop
// does: same checks, record and cleanup. It prints the record (JSON) and
// fails (exit 1) when the drill failed or no record was written.
func runDrillRun(ctx context.Context, s streams, args []string) error {
	a, err := parseDrillRunArgs(s, args)
	if err != nil {
		return err
	}
	cfg, err := restConfig(a.kubeconfig)
	if err != nil {
		return err
	}
	seed, err := client.New(cfg, client.Options{Scheme: process.Scheme()})
	if err != nil {
		return fmt.Errorf("seed client: %w", err)
	}
	r, err := drill.NewRunner(a.drill, s3check.New(a.check))
	if err != nil {
		return err
	}
	_, fc, err := drill.Resolve(ctx, seed, a.cbslNS, a.cluster)
	if err != nil {
		return err
	}
	if fc.Err != nil {
		return fmt.Errorf("cluster %s: %w", a.cluster, fc.Err)
	}
	uc, err := userclient.New(seed, nil, a.users)
	if err != nil {
		return err
	}
	user, err := uc.For(ctx, a.cluster)
	if err != nil {
		return err
	}
	rec, key, err := r.Run(ctx, fc, user)
	if rec != nil {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(rec); eerr != nil {
			return eerr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "record s3://%s/%s\n", fc.Location.Bucket, key)
	if rec.Outcome != core.Passed {
		return fmt.Errorf("drill of cluster %s failed: %s", a.cluster, rec.Reason)
	}
	return nil
}

// runDrillVerify checks signed records offline against a public key. It
// fails (exit 1) when any record does not verify; a record that verifies
// but says the drill failed is printed as such and does not fail.
func runDrillVerify(s streams, args []string) error {
	fs := newFlagSet(s, "drill verify")
	pubFile := fs.String("public-key", "", "PEM ed25519 public `file` (or the private key) of the seed that signed the records (required)")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, drillUsage+"\n\nverify: checks each signed drill record (a file, or - for stdin) against the public key.\nExit 1 when a record does not verify.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	if *pubFile == "" || fs.NArg() == 0 {
		return fmt.Errorf("%w: give --public-key and at least one record", errUsage)
	}
	pb, err := os.ReadFile(*pubFile)
	if err != nil {
		return fmt.Errorf("--public-key: %w", err)
	}
	pub, err := core.ParsePublicKey(pb)
	if err != nil {
		return fmt.Errorf("--public-key %s: %w", *pubFile, err)
	}
	var bad int
	for _, name := range fs.Args() {
		var data []byte
		if name == "-" {
			data, err = io.ReadAll(io.LimitReader(s.In, core.MaxRecordBytes+1))
		} else {
			data, err = readBounded(name, core.MaxRecordBytes)
		}
		if err == nil && len(data) > core.MaxRecordBytes {
			err = fmt.Errorf("larger than %d bytes", core.MaxRecordBytes)
		}
		var rec *core.Record
		if err == nil {
			rec, err = core.Verify(data, pub)
		}
		if err != nil {
			bad++
			fmt.Fprintf(s.Out, "%s: NOT VERIFIED: %v\n", name, err)
			continue
		}
		line := fmt.Sprintf("%s: verified (key %s): cluster %s/%s backup %s drill %s %s, RTO %.0fs, RPO %.0fs", name, core.KeyID(pub), rec.ProjectID, rec.ClusterID, rec.Backup, rec.Run, rec.Outcome, rec.RTOSeconds, rec.RPOSeconds)
		if rec.Reason != "" {
			line += ": " + rec.Reason
		}
		fmt.Fprintln(s.Out, line)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d records do not verify", bad, fs.NArg())
	}
	return nil
}

// readBounded reads at most max+1 bytes of a file.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// runDrillKeygen writes a new ed25519 private key (PEM PKCS #8, mode 0600)
// to --out and prints its public key.
func runDrillKeygen(s streams, args []string) error {
	fs := newFlagSet(s, "drill keygen")
	out := fs.String("out", "", "`file` for the private key (created, mode 0600; never overwritten)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: give --out", errUsage)
	}
	priv, pub, err := core.GenerateKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; not overwritten", *out)
		}
		return err
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = s.Out.Write(pub)
	return err
}

// readDrillKey reads the public key of `fleet status --drill-public-key`
// (nil without a file).
func readDrillKey(file string) ([]byte, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--drill-public-key: %w", err)
	}
	k, err := core.ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("--drill-public-key %s: %w", file, err)
	}
	return k, nil
}

// drillsNotVerified fails `fleet status` (exit 1, after printing) when a
// cluster's drills were judged and are not verified.
func drillsNotVerified(rep *fleet.Report) error {
	bad := rep.NotVerified()
	if len(bad) == 0 {
		return nil
	}
	n, more := len(bad), ""
	if n > 10 {
		bad, more = bad[:10], fmt.Sprintf(" and %d more", n-10)
	}
	return fmt.Errorf("%d of %d clusters' restore drills not verified: %s%s", n, len(rep.Clusters), strings.Join(bad, ", "), more)
}
