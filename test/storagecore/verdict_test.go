package storagecore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// badLocation is one broken rule of a storage location: how to break KKP's
// CBSL (or its Secret) and the field path every entry point must name.
type badLocation struct {
	name   string
	field  string
	break_ func(c *kkpv1.ClusterBackupStorageLocation, s *corev1.Secret)
	// secret marks rules about the Secret's content, which only the entry
	// points that read the keys judge (seed webhook, check, download,
	// render with inline credentials).
	secret bool
}

var badLocations = []badLocation{
	{name: "uppercase bucket", field: "spec.objectStorage.bucket", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.ObjectStorage.Bucket = "KKP_Backups"
	}},
	{name: "bucket with a folder", field: "spec.objectStorage.bucket", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.ObjectStorage.Bucket = "kkp-backups/seed"
	}},
	{name: "bucket shaped like an IP", field: "spec.objectStorage.bucket", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.ObjectStorage.Bucket = "10.1.2.3"
	}},
	{name: "short bucket", field: "spec.objectStorage.bucket", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { c.Spec.ObjectStorage.Bucket = "b" }},
	{name: "ftp endpoint", field: "spec.config[s3Url]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.Config["s3Url"] = "ftp://s3.example.com"
	}},
	{name: "endpoint with user info", field: "spec.config[s3Url]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.Config["s3Url"] = "https://ak:hunter2-pw@s3.example.com"
	}},
	{name: "endpoint with a query", field: "spec.config[s3Url]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.Config["s3Url"] = "https://s3.example.com/?x=1"
	}},
	{name: "custom endpoint without region", field: "spec.config[region]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { delete(c.Spec.Config, "region") }},
	{name: "unknown config key", field: "spec.config[endpoint]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { c.Spec.Config["endpoint"] = "x" }},
	{name: "CA that is not PEM", field: "spec.objectStorage.caCert", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.ObjectStorage.CACert = []byte("hello")
	}},
	{name: "config.caCert that is not a certificate", field: "spec.config[caCert]", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) {
		c.Spec.Config["caCert"] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	}},
	{name: "prefix with ..", field: "spec.objectStorage.prefix", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { c.Spec.ObjectStorage.Prefix = "a/../b" }},
	{name: "prefix with a wildcard", field: "spec.objectStorage.prefix", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { c.Spec.ObjectStorage.Prefix = "seed-*" }},
	{name: "no credential", field: "spec.credential", break_: func(c *kkpv1.ClusterBackupStorageLocation, _ *corev1.Secret) { c.Spec.Credential = nil }},
	{name: "Secret in neither layout", field: "spec.credential.name", secret: true, break_: func(_ *kkpv1.ClusterBackupStorageLocation, s *corev1.Secret) {
		s.Data = map[string][]byte{"password": []byte("hunter2-pw")}
	}},
}

// TestSameVerdictEverywhere feeds each bad storage location to every entry
// point and asserts the same verdict (refused) naming the same field path:
// the storage core, the seed webhook through the real kube-apiserver, and
// the check, render, policy, download, diff, Argo CD plugin and KRM
// commands. No answer may carry the password planted in the cases.
func TestSameVerdictEverywhere(t *testing.T) {
	ctx := context.Background()
	sc := seedcluster.Start(t, seed.Options{})
	good := s3env.KKPFleet(t, sc.S3, sc.S3.RootAccessKey, sc.S3.RootSecretKey)
	goodDir := s3env.WriteObjects(t, t.TempDir(), good)
	rendered := filepath.Join(t.TempDir(), "render")
	if _, stderr, code := run(t, "", "", nil, "render", "-f", goodDir, "-o", rendered); code != 0 {
		t.Fatalf("render of the good fleet: %s", stderr)
	}

	for i, tc := range badLocations {
		t.Run(tc.name, func(t *testing.T) {
			objs := s3env.KKPFleet(t, sc.S3, sc.S3.RootAccessKey, sc.S3.RootSecretKey)
			cbsl := cbslNamed(objs, "backups-eu-jnpllgp66z")
			sec := objs.Secret(cbsl.Namespace, cbsl.Spec.Credential.Name)
			cbsl.Name = fmt.Sprintf("bad-%d-jnpllgp66z", i)
			sec.Name = fmt.Sprintf("credential-bad-%d", i)
			cbsl.Spec.Credential.Name = sec.Name
			for _, c := range objs.Clusters {
				if c.Object.StorageLocationName() == "backups-eu-jnpllgp66z" {
					c.Object.Spec.BackupConfig.BackupStorageLocation.Name = cbsl.Name
				}
			}
			tc.break_(cbsl, sec)
			dir, single := writeFleet(t, objs, cbsl, sec)
			verdicts := map[string]string{} // entry point -> its answer, when it was not a refusal naming the field

			// The storage core.
			_, errs, _, err := storage.Resolve(ctx, cbsl, objs.SecretGetter())
			testenv.Must(t, err)
			judge(verdicts, "storage.Resolve", len(errs) > 0, errs.ToAggregate(), tc.field)

			// The seed webhook through the real API server.
			ws := sec.DeepCopy()
			ws.ResourceVersion, ws.UID, ws.OwnerReferences = "", "", nil
			testenv.Must(t, sc.Client.Create(ctx, ws))
			wc := cbsl.DeepCopy()
			wc.ResourceVersion, wc.UID, wc.CreationTimestamp = "", "", metav1.Time{}
			err = sc.Client.Create(ctx, wc)
			judge(verdicts, "seed webhook", err != nil, err, tc.field)

			cli := func(entry string, dir, stdin string, env []string, args ...string) {
				out, stderr, code := run(t, dir, stdin, env, args...)
				if entry == "krm" { // the function hands its input items back unchanged: judge its results
					_, out, _ = strings.Cut(out, "\nresults:")
				}
				judge(verdicts, entry, code != 0, fmt.Errorf("exit %d: %s%s", code, out, stderr), tc.field)
			}
			cli("check", "", "", nil, "check", "-f", dir, "--allow-cidr", "127.0.0.1")
			cli("download", "", "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", filepath.Join(single, "cluster-xkc6lgmfsn.yaml"), "--cbsl", filepath.Join(single, "cbsl.yaml"),
				"--secret", filepath.Join(single, "secret.yaml"), "--backup", "nightly", "--url")
			if tc.secret {
				cli("render --credentials inline", "", "", nil, "render", "-f", dir, "--credentials", "inline")
			} else {
				cli("render", "", "", nil, "render", "-f", dir)
				cli("policy", "", "", nil, "policy", "--cluster", filepath.Join(single, "cluster-xkc6lgmfsn.yaml"), "--cbsl", filepath.Join(single, "cbsl.yaml"), "--principal", "AKIACLUSTER")
				cli("diff", "", "", nil, "diff", "--from", rendered, "-f", dir)
				testenv.Must(t, writeFile(filepath.Join(dir, "clusterbackup.yaml"), markerFile))
				cli("cmp generate", dir, "", []string{"ARGOCD_ENV_CLUSTER=xkc6lgmfsn"}, "cmp", "generate")
				cli("krm", "", resourceList(t, single, "cbsl.yaml", "cluster-xkc6lgmfsn.yaml"), nil, "krm")
			}
			for entry, answer := range verdicts {
				t.Errorf("%s: want a refusal naming %s, got: %s", entry, tc.field, answer)
			}
		})
	}
}

// judge records an entry point's answer unless it is a refusal that names
// field exactly once and does not carry the planted password.
func judge(verdicts map[string]string, entry string, refused bool, answer error, field string) {
	text := fmt.Sprint(answer)
	switch {
	case !refused:
		verdicts[entry] = "accepted: " + text
	case !strings.Contains(text, field):
		verdicts[entry] = "refused without naming the field: " + text
	case namedTwice(text, field):
		verdicts[entry] = "refused, but the same broken rule is named twice: " + text
	case strings.Contains(text, "hunter2-pw"):
		verdicts[entry] = "refused, but the answer carries the password: " + text
	}
}

// namedTwice reports whether text holds the same error about field twice:
// the same "<field>: <type>: <detail>" up to the end of its entry.
func namedTwice(text, field string) bool {
	seen := map[string]bool{}
	for rest := text; ; {
		i := strings.Index(rest, field+": ")
		if i < 0 {
			return false
		}
		entry := rest[i:]
		if end := strings.IndexAny(entry, ";]\n"); end >= 0 {
			entry = entry[:end]
		}
		if j := strings.Index(entry, ", spec."); j >= 0 {
			entry = entry[:j]
		}
		if seen[entry] {
			return true
		}
		seen[entry] = true
		rest = rest[i+len(field):]
	}
}

func cbslNamed(objs *input.Objects, name string) *kkpv1.ClusterBackupStorageLocation {
	for _, c := range objs.CBSLs {
		if c.Object.Name == name {
			return c.Object
		}
	}
	return nil
}
