package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/go-logr/logr"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/client/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// webhookFlags are the flags that are not server.Options fields.
type webhookFlags struct {
	config, kubeconfig string
	verbosity          int
}

// bindWebhookFlags binds every option of the webhook command to fs. o must
// be defaulted (server.Options.Default): each flag's default is the field's
// value, so the defaults are written once, in package server, and a
// --config file's values show as the flags' defaults.
func bindWebhookFlags(fs *flag.FlagSet, o *server.Options, f *webhookFlags) {
	fs.StringVar(&f.config, "config", "", "YAML config file with server.Options fields (mode, port, certDir, shutdownTimeout: 25s, velero: {...}); flags override it")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster whose objects the rules read (default: in-cluster or $KUBECONFIG)")
	fs.IntVar(&f.verbosity, "v", 0, "log verbosity (0: denials and lifecycle; 1: every review)")
	fs.StringVar(&o.Mode, "mode", o.Mode, "webhooks to serve: user (Velero objects in a user cluster) or seed (CBSLs and Clusters)")
	fs.StringVar(&o.Host, "host", o.Host, "address the webhook server listens on (default all)")
	fs.IntVar(&o.Port, "port", o.Port, "webhook server port")
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, "directory holding tls.crt and tls.key, reloaded when they change")
	fs.StringVar(&o.ClientCAName, "client-ca-name", o.ClientCAName, "file in --cert-dir with the PEM CA of the API server's client certificate; when set, callers without a certificate signed by it are refused at TLS (default: no client authentication)")
	o.Serving.AddFlags(fs, "in-flight reviews")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2, "serve HTTP/2 too (default: HTTP/1.1 only)")
	fs.DurationVar(&o.DrainPeriod.Duration, "drain-period", o.DrainPeriod.Duration, "after SIGTERM, how long to keep answering reviews with Connection: close before shutting down, so the API server moves to another replica (0: stop at once)")
	v := &o.Velero
	fs.StringVar(&v.Namespace, "velero-namespace", v.Namespace, "Velero's namespace")
	fs.StringVar(&v.ManagedBSLName, "managed-bsl-name", v.ManagedBSLName, "name of the managed default BackupStorageLocation")
	fs.StringVar(&v.Managed.Bucket, "managed-bucket", v.Managed.Bucket, "the cluster's bucket (user mode; required)")
	fs.StringVar(&v.Managed.Endpoint, "managed-endpoint", v.Managed.Endpoint, "the cluster's S3 endpoint, the BSL's config.s3Url (empty: AWS)")
	fs.StringVar(&v.Managed.Prefix, "managed-prefix", v.Managed.Prefix, "the cluster's effective prefix, join(CBSL prefix, project ID, cluster ID)")
	fs.StringVar(&v.VeleroUser, "velero-user", v.VeleroUser, "username of Velero's service account (default system:serviceaccount:<velero-namespace>:velero)")
	fs.Var(listOf(&v.ManagedBSLEditors), "managed-bsl-editor", "username allowed to change the managed BSL's spec, e.g. the GitOps applier, and to restore into kube-system, kube-public, kube-node-lease or Velero's namespace (repeatable; none: anyone may change the BSL, nobody may restore there)")
	fs.Var(listOf(&v.ManagedBSLEditorGroups), "managed-bsl-editor-group", "group allowed to do what --managed-bsl-editor allows (repeatable)")
	fs.Var(listOf(&v.VeleroOperators), "velero-operator", "username allowed to create Backups, Schedules, Restores, DownloadRequests and DeleteBackupRequests besides Velero's service account and the managed editors (repeatable; others need list secrets in every namespace, for Restores and DeleteBackupRequests cluster-admin)")
	fs.Var(listOf(&v.VeleroOperatorGroups), "velero-operator-group", "group allowed to do what --velero-operator allows (repeatable; system:authenticated turns the requester gate off)")
	fs.BoolVar(&v.AllowOtherStorage, "allow-other-storage", v.AllowOtherStorage, "admit BSLs on other buckets or endpoints than the managed one, each with a credential Secret of its own")
	fs.StringVar(&v.CredentialsSecret, "credentials-secret-name", v.CredentialsSecret, "the managed credentials Secret: only the managed BSL and the previous locations may sign with it, named or by default")
	fs.Var(&locationsFlag{p: &v.PreviousLocations}, "previous-location", "a previous location kept read-only after a storage switch: bucket=B[,endpoint=URL][,prefix=P] (repeatable; prefix last, it may contain ',')")
	fs.DurationVar(&v.BackupTTL.Duration, "backup-ttl", v.BackupTTL.Duration, "ttl given to Backups that leave it empty")
	o.Seed.AddFlags(fs)
}

// runWebhook serves the admission webhooks until ctx is cancelled.
func runWebhook(ctx context.Context, s streams, args []string) error {
	o, f, err := parseWebhookArgs(s, args)
	if err != nil {
		return err
	}
	if err := o.Complete(); err != nil {
		return err
	}
	setLogger(s, f.verbosity)
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := server.New(ctx, cfg, o)
	if err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("webhook server: %w", err)
	}
	return nil
}

// parseWebhookArgs parses the flags. With --config, the file is read first;
// then the defaults fill what it leaves unset (server.Options.Default), and
// that configuration gives the flags' defaults, so flags on the command
// line override the file and the file the defaults.
func parseWebhookArgs(s streams, args []string) (server.Options, webhookFlags, error) {
	var o server.Options
	var f webhookFlags
	if err := readConfigArg(args, &o); err != nil {
		return o, f, err
	}
	o.Default()
	fs := newFlagSet(s, "webhook")
	bindWebhookFlags(fs, &o, &f)
	if err := parseFlags(fs, args); err != nil {
		return o, f, err
	}
	return o, f, nil
}

// readConfigArg reads the --config file named in args, if any, into o
// (strict YAML), before the flags are bound, so that the file gives the
// flags' defaults and the command line overrides it.
func readConfigArg(args []string, o any) error {
	path := configArg(args)
	if path == "" {
		return nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	if err := yaml.UnmarshalStrict(raw, o); err != nil {
		return fmt.Errorf("%w: config file %s: %v", errUsage, path, err)
	}
	return nil
}

// setLogger makes controller-runtime log JSON to the command's stderr at
// the given verbosity. Until a logger is set, controller-runtime keeps
// every logger it hands out.
func setLogger(s streams, verbosity int) {
	installLogger(logr.FromSlogHandler(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: slog.Level(-verbosity)})))
}

// installLogger hands controller-runtime its logger. controller-runtime
// takes only the first logger of a process (and a null one when none came
// within 30 s), so the tests, which run the command many times in one
// process, install a forwarding logger once and replace this function.
var installLogger = logf.SetLogger

// configArg finds the value of --config before the flags are parsed.
func configArg(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, p := range []string{"--config", "-config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
		}
		// As controller-runtime does for the in-cluster and $KUBECONFIG
		// paths: no client-side rate limit (client-go's default of 5
		// requests/s throttled both seed loops), the API server's priority
		// and fairness decide.
		if cfg.QPS == 0 {
			cfg.QPS = -1
		}
		return cfg, nil
	}
	cfg, err := ctrlconfig.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("find a kubeconfig (in-cluster or $KUBECONFIG): %w", err)
	}
	return cfg, nil
}

// locationsFlag is a repeatable bucket=,endpoint=,prefix= flag; the first
// use replaces the config file's list.
type locationsFlag struct {
	p   *[]velerorules.Location
	set bool
}

func (l *locationsFlag) String() string {
	if l.p == nil {
		return ""
	}
	var parts []string
	for _, loc := range *l.p {
		parts = append(parts, fmt.Sprintf("bucket=%s,endpoint=%s,prefix=%s", loc.Bucket, loc.Endpoint, loc.Prefix))
	}
	return strings.Join(parts, ";")
}

func (l *locationsFlag) Set(v string) error {
	var loc velerorules.Location
	parts := strings.Split(v, ",")
	for i, kv := range parts {
		if strings.HasPrefix(kv, "prefix=") {
			// prefix comes last and may itself contain ",".
			loc.Prefix = strings.TrimPrefix(strings.Join(parts[i:], ","), "prefix=")
			break
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not key=value", kv)
		}
		switch k {
		case "bucket":
			loc.Bucket = val
		case "endpoint":
			loc.Endpoint = val
		default:
			return fmt.Errorf("unknown key %q (want bucket, endpoint, then prefix)", k)
		}
	}
	if loc.Bucket == "" {
		return fmt.Errorf("bucket= is required")
	}
	if !l.set {
		*l.p, l.set = nil, true
	}
	*l.p = append(*l.p, loc)
	return nil
}
