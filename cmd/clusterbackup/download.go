//go:build !webhookonly

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/download"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/s3client"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// runDownload streams a backup's tarball from the cluster's prefix into a
// file, or prints a presigned URL for it.
func runDownload(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "download")
	clusterFile := fs.String("cluster", "", "`file` holding the KKP Cluster")
	cbslFile := fs.String("cbsl", "", "`file` holding the cluster's ClusterBackupStorageLocation")
	secretFile := fs.String("secret", "", "`file` holding the credential Secret (the CBSL's, or a cluster's dedicated one; KKP's accessKeyId/secretAccessKey or an AWS credentials file) and the caCertRef Secret if the CBSL names one (default: the Secrets in the --cbsl file)")
	backup := fs.String("backup", "", "`name` of the Velero Backup")
	out := fs.String("o", "", "write the tarball to `file` (created complete or not at all, mode 0600)")
	url := fs.Bool("url", false, "print a presigned GET URL instead of downloading")
	expires := fs.Duration("expires", download.DefaultExpires, "with --url: how long the URL stays valid")
	var dial s3client.Options
	fs.Var(&dial.Policy.Allow, "allow-cidr", "CIDR or address the S3 client may dial although the built-in rules deny it (e.g. 127.0.0.1 for a local S3); repeatable")
	fs.Var(&dial.Policy.Deny, "deny-cidr", "CIDR the S3 client must never dial; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage:\n  clusterbackup download --cluster FILE --cbsl FILE [--secret FILE] --backup NAME (-o FILE | --url [--expires 10m]) [--allow-cidr CIDR]...\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *clusterFile == "" || *cbslFile == "" || *backup == "":
		return fmt.Errorf("%w: --cluster, --cbsl and --backup are required", errUsage)
	case (*out == "") == !*url:
		return fmt.Errorf("%w: give exactly one of -o FILE and --url", errUsage)
	case set["expires"] && !*url:
		return fmt.Errorf("%w: --expires needs --url", errUsage)
	}
	if err := download.ValidateBackupName(*backup); err != nil {
		return fmt.Errorf("%w: --backup: %v", errUsage, err)
	}
	loc, t, err := loadTarget(*clusterFile, *cbslFile)
	if err != nil {
		return err
	}
	secrets, given, err := loadCredential(*secretFile, *cbslFile, loc)
	if err != nil {
		return err
	}
	if ref := loc.Spec.Credential; ref == nil || ref.Name != given.Name {
		// A dedicated credential handed over by the operator is used for
		// the cluster's project; a CBSL's own reference must belong to it.
		given.Labels = map[string]string{kkpv1.ProjectIDLabel: loc.Labels[kkpv1.ProjectIDLabel]}
	}
	resolved, errs, _, err := storage.Resolve(ctx, withCredential(loc, given), secrets.SecretGetter())
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(nonEmpty(*cbslFile, *secretFile), ", "), &storage.InvalidError{Kind: kkpv1.KindClusterBackupStorageLocation, Name: loc.Namespace + "/" + loc.Name, Errs: errs})
	}
	resolved.Prefix = t.Prefix
	cl, err := download.New(ctx, resolved, dial)
	if err != nil {
		return err
	}
	defer cl.Close()
	if *url {
		u, err := cl.URL(ctx, *backup, *expires)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Out, u)
		fmt.Fprintf(s.Err, "presigned URL for backup %q, valid until %s\n", *backup, time.Now().Add(*expires).UTC().Format(time.RFC3339))
		return nil
	}
	n, err := cl.ToFile(ctx, *backup, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "wrote backup %q (%d bytes) to %s\n", *backup, n, *out)
	return nil
}

// loadCredential reads the Secrets of the --secret file, or of the --cbsl
// file when --secret is not given, and picks the credential: the first
// Secret of a --secret file (the CBSL's own or a cluster's dedicated one),
// or the Secret the CBSL names in its own file.
func loadCredential(secretFile, cbslFile string, loc *kkpv1.ClusterBackupStorageLocation) (*input.Objects, *corev1.Secret, error) {
	if secretFile != "" {
		secrets, err := loadSecrets(secretFile)
		if err != nil {
			return nil, nil, err
		}
		return secrets, firstSecret(secrets), nil
	}
	secrets, err := input.Load(nil, cbslFile)
	if err != nil {
		return nil, nil, err
	}
	ref := loc.Spec.Credential
	if ref == nil {
		return nil, nil, fmt.Errorf("%w: ClusterBackupStorageLocation %s/%s has no spec.credential: give the credential with --secret FILE", errUsage, loc.Namespace, loc.Name)
	}
	if sec := secrets.Secret(loc.Namespace, ref.Name); sec != nil {
		return secrets, sec, nil
	}
	return nil, nil, fmt.Errorf("%w: %s: no Secret %s/%s, which ClusterBackupStorageLocation %s spec.credential.name names: give it with --secret FILE",
		errUsage, cbslFile, loc.Namespace, ref.Name, loc.Name)
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// withCredential returns the CBSL as the download sees it: when the Secret
// given is not the one the CBSL names, it is a cluster's dedicated
// credential (confined by clusterbackup policy), read in either layout.
func withCredential(loc *kkpv1.ClusterBackupStorageLocation, sec *corev1.Secret) *kkpv1.ClusterBackupStorageLocation {
	if ref := loc.Spec.Credential; ref != nil && ref.Name == sec.Name && sec.Namespace == loc.Namespace {
		return loc
	}
	l := loc.DeepCopy()
	l.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: sec.Name}}
	if sec.Namespace != l.Namespace { // a dedicated Secret kept elsewhere
		l.Namespace = sec.Namespace
	}
	return l
}
