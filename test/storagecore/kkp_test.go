// Package storagecore holds the acceptance tests of the storage core: KKP's
// own objects through every command and both webhooks, and one verdict for
// a bad storage location from every entry point.
package storagecore

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
	"github.com/clusterbackup/clusterbackup/test/usercluster"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// TestKKPObjects: CBSLs, Secrets and Clusters exactly as KKP writes them
// (examples/kkp: key "cloud-credentials" the Secret does not hold, only
// accessKeyId + secretAccessKey) are accepted by the seed webhook through
// the real kube-apiserver, in the dashboard's order, and by check (against
// versitygw; a Secret with only the named key works too, one with neither
// layout is refused naming both), the user webhook (the rendered release
// applied through it), render (inline credentials and --kkp-migrate
// included), policy, download, the Argo CD plugin and the KRM function.
func TestKKPObjects(t *testing.T) {
	ctx := context.Background()
	sc := seedcluster.Start(t, seed.Options{})
	s := sc.S3
	fleet := s3env.KKPFleet(t, s, s.RootAccessKey, s.RootSecretKey)
	dir := s3env.WriteObjects(t, t.TempDir(), fleet)

	t.Run("seed webhook, in the dashboard's order", func(t *testing.T) {
		for _, c := range fleet.CBSLs {
			cbsl := c.Object.DeepCopy()
			cbsl.ResourceVersion, cbsl.UID, cbsl.CreationTimestamp, cbsl.Generation = "", "", metav1.Time{}, 0
			// The dashboard creates the CBSL, then its Secret owned by it.
			testenv.Must(t, sc.Client.Create(ctx, cbsl))
			sec := fleet.Secret(cbsl.Namespace, cbsl.Spec.Credential.Name).DeepCopy()
			sec.ResourceVersion, sec.UID, sec.CreationTimestamp = "", "", metav1.Time{}
			sec.OwnerReferences[0].UID = cbsl.UID
			testenv.Must(t, sc.Client.Create(ctx, sec))
			// Its next spec change is judged in full, reachability included.
			cbsl.Spec.Config["checksumAlgorithm"] = ""
			if err := sc.Client.Update(ctx, cbsl); err != nil {
				t.Fatalf("spec update of KKP's CBSL %s: %v", cbsl.Name, err)
			}
		}
		if w := sc.Warnings(); !strings.Contains(w, "not found yet: admitted unchecked") {
			t.Fatalf("warnings = %q", w)
		}
		for _, f := range []string{"cluster-xkc6lgmfsn.yaml", "cluster-r7tqz9d2wk.yaml", "cluster-m2vd8s5ptc.yaml"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			testenv.Must(t, err)
			var cl kkpv1.Cluster
			testenv.Must(t, yaml.Unmarshal(b, &cl))
			cl.ResourceVersion, cl.UID, cl.CreationTimestamp, cl.Generation = "", "", metav1.Time{}, 0
			if err := sc.Client.Create(ctx, &cl); err != nil {
				t.Fatalf("KKP cluster %s: %v", cl.Name, err)
			}
		}
	})

	t.Run("check", func(t *testing.T) {
		out, stderr, code := run(t, "", "", nil, "check", "-f", dir, "--allow-cidr", "127.0.0.1", "--budget", "20s")
		if code != 0 || strings.Count(out, "reachability: OK") != 2 {
			t.Fatalf("code %d\n%s%s", code, out, stderr)
		}
	})

	t.Run("check: only the named key, or neither layout", func(t *testing.T) {
		alt := s3env.KKPFleet(t, s, s.RootAccessKey, s.RootSecretKey)
		for _, sec := range alt.Secrets {
			ini := creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey}.INI("")
			sec.Object.Data = map[string][]byte{"cloud-credentials": ini} // the key the CBSL names, as an AWS credentials file
		}
		altDir := s3env.WriteObjects(t, t.TempDir(), alt)
		if out, stderr, code := run(t, "", "", nil, "check", "-f", altDir, "--allow-cidr", "127.0.0.1", "--budget", "20s"); code != 0 || strings.Count(out, "reachability: OK") != 2 {
			t.Fatalf("only the named key: code %d\n%s%s", code, out, stderr)
		}
		for _, sec := range alt.Secrets {
			sec.Object.Data = map[string][]byte{"token": []byte("x")}
		}
		altDir = s3env.WriteObjects(t, t.TempDir(), alt)
		out, _, code := run(t, "", "", nil, "check", "-f", altDir, "--allow-cidr", "127.0.0.1", "--budget", "20s")
		if code != 1 || !strings.Contains(out, `spec.credential.name: Invalid value: "credential-backups-eu-jnpllgp66z-x7k2p": secret kubermatic/credential-backups-eu-jnpllgp66z-x7k2p holds neither key "cloud-credentials" (an AWS credentials file) nor "accessKeyId" + "secretAccessKey" (KKP's layout)`) {
			t.Fatalf("neither layout: code %d\n%s", code, out)
		}
	})

	t.Run("user webhook admits the rendered release", func(t *testing.T) {
		fleet, err := renderer.BuildFleet(s3env.KKPFleet(t, s, s.RootAccessKey, s.RootSecretKey))
		testenv.Must(t, err)
		r, err := renderer.New(renderer.Options{})
		testenv.Must(t, err)
		for _, in := range fleet {
			if in.ClusterID() != "xkc6lgmfsn" {
				continue
			}
			p, err := in.Prefix()
			testenv.Must(t, err)
			uc := usercluster.Start(t)
			uc.ConfigureWebhook(t, velerorules.Config{Managed: velerorules.Location{Bucket: in.CBSL.Spec.ObjectStorage.Bucket, Endpoint: in.CBSL.Spec.Config["s3Url"], Prefix: p}})
			res, err := r.Render(ctx, in)
			testenv.Must(t, err)
			objs, err := res.Objects()
			testenv.Must(t, err)
			for _, o := range objs {
				o.SetManagedFields(nil)
				if err := uc.Admin.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("gitops"), client.ForceOwnership); err != nil {
					t.Fatalf("apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
			}
		}
	})

	t.Run("render, existing and inline credentials", func(t *testing.T) {
		out, stderr, code := run(t, "", "", nil, "render", "-f", dir)
		if code != 0 || !strings.Contains(out, `prefix: "seed-eu/jnpllgp66z/xkc6lgmfsn"`) || !strings.Contains(out, `prefix: "q4mh2x8vbn/m2vd8s5ptc"`) {
			t.Fatalf("code %d: %s", code, stderr)
		}
		out, stderr, code = run(t, "", "", nil, "render", "-f", dir, "--kkp-migrate")
		if code != 0 || strings.Count(out, "name: default-cluster-backup-bsl") != 2 || !strings.Contains(out, `prefix: "jnpllgp66z/xkc6lgmfsn"`) {
			t.Fatalf("--kkp-migrate: code %d: %s (want KKP's BSL on <project>/<cluster> for the two clusters of the CBSL with a prefix)", code, stderr)
		}
		out, stderr, code = run(t, "", "", nil, "render", "-f", dir, "--credentials", "inline")
		ini := creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey}.INI("")
		if code != 0 || !strings.Contains(out, base64.StdEncoding.EncodeToString(ini)) {
			t.Fatalf("inline: code %d: %s (no Secret with KKP's keys as a credentials file)", code, stderr)
		}
	})

	t.Run("policy", func(t *testing.T) {
		out, stderr, code := run(t, "", "", nil, "policy", "--cluster", filepath.Join(dir, "cluster-xkc6lgmfsn.yaml"),
			"--cbsl", filepath.Join(dir, "cbsl-backups-eu-jnpllgp66z.yaml"), "--principal", "AKIACLUSTERXKC6")
		if code != 0 || !strings.Contains(out, "arn:aws:s3:::kkp-backups/seed-eu/jnpllgp66z/xkc6lgmfsn/*") {
			t.Fatalf("code %d: %s\n%s", code, stderr, out)
		}
	})

	t.Run("download", func(t *testing.T) {
		const key = "seed-eu/jnpllgp66z/xkc6lgmfsn/backups/nightly/nightly.tar.gz"
		_, err := s.Client(s.RootAccessKey, s.RootSecretKey).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kkp-backups"), Key: aws.String(key), Body: strings.NewReader("tarball")})
		testenv.Must(t, err)
		target := filepath.Join(t.TempDir(), "nightly.tar.gz")
		_, stderr, code := run(t, "", "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", filepath.Join(dir, "cluster-xkc6lgmfsn.yaml"),
			"--cbsl", filepath.Join(dir, "cbsl-backups-eu-jnpllgp66z.yaml"), "--secret", filepath.Join(dir, "secret-credential-backups-eu-jnpllgp66z-x7k2p.yaml"),
			"--backup", "nightly", "-o", target)
		b, _ := os.ReadFile(target)
		if code != 0 || string(b) != "tarball" {
			t.Fatalf("code %d: %s (got %q)", code, stderr, b)
		}
	})

	t.Run("Argo CD plugin and KRM function", func(t *testing.T) {
		testenv.Must(t, os.WriteFile(filepath.Join(dir, "clusterbackup.yaml"), []byte(markerFile), 0o600))
		defer os.Remove(filepath.Join(dir, "clusterbackup.yaml"))
		out, stderr, code := run(t, dir, "", []string{"ARGOCD_ENV_CLUSTER=r7tqz9d2wk"}, "cmp", "generate")
		if code != 0 || !strings.Contains(out, `prefix: "seed-eu/jnpllgp66z/r7tqz9d2wk"`) {
			t.Fatalf("cmp generate: code %d: %s", code, stderr)
		}
		rl := resourceList(t, dir, "cbsl-archive-q4mh2x8vbn.yaml", "cluster-m2vd8s5ptc.yaml")
		out, stderr, code = run(t, "", rl, nil, "krm")
		if code != 0 || !strings.Contains(out, "prefix: q4mh2x8vbn/m2vd8s5ptc") {
			t.Fatalf("krm: code %d: %s\n%s", code, stderr, out)
		}
	})
}

// indent turns a YAML document into a list item.
func indent(doc string) string {
	lines := strings.Split(strings.TrimRight(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
