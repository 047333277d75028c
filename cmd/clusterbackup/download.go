//go:build !webhookonly

package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/download"
	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	corev1 "k8s.io/api/core/v1"
)

// runDownload streams a backup's tarball from the cluster's prefix into a
// file, or prints a presigned URL for it.
func runDownload(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "download")
	clusterFile := fs.String("cluster", "", "`file` holding the KKP Cluster")
	cbslFile := fs.String("cbsl", "", "`file` holding the cluster's ClusterBackupStorageLocation")
	secretFile := fs.String("secret", "", "`file` holding the credential Secret (accessKeyId/secretAccessKey or an AWS credentials file under \"cloud\")")
	backup := fs.String("backup", "", "`name` of the Velero Backup")
	out := fs.String("o", "", "write the tarball to `file` (created complete or not at all, mode 0600)")
	url := fs.Bool("url", false, "print a presigned GET URL instead of downloading")
	expires := fs.Duration("expires", download.DefaultExpires, "with --url: how long the URL stays valid")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage:\n  clusterbackup download --cluster FILE --cbsl FILE --secret FILE --backup NAME (-o FILE | --url [--expires 10m])\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	case *clusterFile == "" || *cbslFile == "" || *secretFile == "" || *backup == "":
		return fmt.Errorf("%w: --cluster, --cbsl, --secret and --backup are required", errUsage)
	case (*out == "") == !*url:
		return fmt.Errorf("%w: give exactly one of -o FILE and --url", errUsage)
	case set["expires"] && !*url:
		return fmt.Errorf("%w: --expires needs --url", errUsage)
	}
	if err := download.ValidateBackupName(*backup); err != nil {
		return fmt.Errorf("%w: --backup: %v", errUsage, err)
	}
	var (
		c   kkpv1.Cluster
		loc kkpv1.ClusterBackupStorageLocation
		sec corev1.Secret
	)
	if err := decodeInputFile(*clusterFile, "Cluster", &c); err != nil {
		return err
	}
	if err := decodeInputFile(*cbslFile, "ClusterBackupStorageLocation", &loc); err != nil {
		return err
	}
	if err := decodeInputFile(*secretFile, "Secret", &sec); err != nil {
		return err
	}
	t, err := s3policy.Locate(&c, &loc)
	if err != nil {
		return fmt.Errorf("%s, %s: %w", *clusterFile, *cbslFile, err)
	}
	cr, err := secretCredentials(&sec, &loc)
	if err != nil {
		return fmt.Errorf("%s: Secret %s: %w", *secretFile, sec.Name, err)
	}
	opts, errs := download.OptionsFor(&loc, cr)
	if len(errs) > 0 {
		return fmt.Errorf("%s: ClusterBackupStorageLocation %s: %w", *cbslFile, loc.Name, errs.ToAggregate())
	}
	cl, err := download.New(opts, t.Bucket, t.Prefix)
	if err != nil {
		return err
	}
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

// secretCredentials reads the credentials from a Secret file. The CBSL's
// spec.credential.key applies when the Secret is the one the CBSL names;
// another Secret (a cluster's dedicated credential) is read in either layout.
func secretCredentials(sec *corev1.Secret, loc *kkpv1.ClusterBackupStorageLocation) (creds.Static, error) {
	data := make(map[string][]byte, len(sec.Data)+len(sec.StringData))
	for k, v := range sec.Data {
		data[k] = v
	}
	for k, v := range sec.StringData { // as the API server does: stringData wins
		data[k] = []byte(v)
	}
	key := ""
	if ref := loc.Spec.Credential; ref != nil && ref.Name == sec.Name {
		key = ref.Key
	}
	return creds.FromSecretData(data, key, loc.Spec.Config["profile"])
}
