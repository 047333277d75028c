package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// isoTenant is one cluster of the isolation fleet with its dedicated credential.
type isoTenant struct {
	project, cluster, prefix string
	ak, sk                   string
	client                   *s3.Client
}

// isoFleet is a versitygw bucket shared by clusters of different
// projects, each with its own user, and the bucket policy from
// `clusterbackup policy -f` applied by root.
type isoFleet struct {
	s3      *s3env.Server
	bucket  string
	dir     string // input files: cluster-<id>.yaml, cbsl-<project>.yaml
	tenants map[string]*isoTenant
	policy  string
}

const isoBucket = "kkp-backups"

// startIsoFleet starts versitygw with A (project pa, cluster ca), B
// (project pb, cluster cb) and C (project pa, cluster ca0 — a sibling whose
// ID extends A's, the case where a bare-prefix listing would leak).
func startIsoFleet(t *testing.T) *isoFleet {
	t.Helper()
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, isoBucket); err != nil {
		t.Fatal(err)
	}
	f := &isoFleet{s3: s, bucket: isoBucket, dir: t.TempDir(), tenants: map[string]*isoTenant{}}
	for _, tn := range []*isoTenant{
		{project: "pa", cluster: "ca", ak: "tenanta", sk: "secret-of-tenant-a-0001"},
		{project: "pb", cluster: "cb", ak: "tenantb", sk: "secret-of-tenant-b-0002"},
		{project: "pa", cluster: "ca0", ak: "tenantc", sk: "secret-of-tenant-c-0003"},
	} {
		// Users first: versitygw refuses a policy naming unknown principals.
		if err := s.CreateUser(tn.ak, tn.sk); err != nil {
			t.Fatal(err)
		}
		tn.prefix = "seed-eu/" + tn.project + "/" + tn.cluster
		tn.client = s.Client(tn.ak, tn.sk)
		f.tenants[tn.cluster] = tn
		isoWriteFile(t, filepath.Join(f.dir, "cluster-"+tn.cluster+".yaml"), isoClusterYAML(tn.cluster, tn.project, "backups-"+tn.project))
	}
	for _, p := range []string{"pa", "pb"} {
		isoWriteFile(t, filepath.Join(f.dir, "cbsl-"+p+".yaml"), isoCBSLYAML("backups-"+p, p, isoBucket, "seed-eu", s.Endpoint))
	}
	out, stderr, code := runCLI(t, "", nil, "policy", "-f", f.dir,
		"--principal", "ca=tenanta", "--principal", "cb=tenantb", "--principal", "ca0=tenantc")
	if code != 0 {
		t.Fatalf("policy -f: code %d: %s", code, stderr)
	}
	f.policy = out
	// Control: without the policy a user may do nothing in root's bucket, so
	// every access the tests see granted comes from the generated policy.
	if err := isoPut(ctx, f.tenants["ca"].client, "seed-eu/pa/ca/probe", "x"); isoCode(err) != "AccessDenied" {
		t.Fatalf("before the policy: put = %v, want AccessDenied", err)
	}
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(isoBucket), Policy: aws.String(out)}); err != nil {
		t.Fatalf("versitygw refused the generated policy: %v\n%s", err, out)
	}
	return f
}

func isoClusterYAML(id, project, cbsl string) string {
	return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: %s
  labels:
    project-id: %s
spec:
  humanReadableName: test-%s
  backupConfig:
    backupStorageLocation:
      name: %s
`, id, project, id, cbsl)
}

func isoCBSLYAML(name, project, bucket, prefix, endpoint string) string {
	return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: %s
  namespace: kubermatic
  labels:
    project-id: %s
spec:
  provider: aws
  objectStorage:
    bucket: %s
    prefix: %s
  config:
    region: %s
    s3Url: %s
  credential:
    name: %s-credentials
    key: cloud
`, name, project, bucket, prefix, s3env.Region, endpoint, name)
}

func isoWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// isoCode returns the S3 error code of err, or "" when err is nil.
func isoCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func isoPut(ctx context.Context, c *s3.Client, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(isoBucket), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func isoGet(ctx context.Context, c *s3.Client, key string) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(isoBucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func isoList(ctx context.Context, c *s3.Client, prefix string) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(isoBucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	out, err := c.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys, nil
}

// TestPolicyIsolatesTenantsOnVersitygw is the acceptance test of the policy
// command: with the generated bucket policy each tenant works freely below its
// own prefix and is denied everything else.
func TestPolicyIsolatesTenantsOnVersitygw(t *testing.T) {
	f := startIsoFleet(t)
	ctx := context.Background()
	root := f.s3.Client(f.s3.RootAccessKey, f.s3.RootSecretKey)
	// Objects every tenant must not touch: one per tenant prefix and one at the root.
	for _, tn := range f.tenants {
		if err := isoPut(ctx, root, tn.prefix+"/backups/seeded/seeded.tar.gz", "seeded-"+tn.cluster); err != nil {
			t.Fatal(err)
		}
	}
	if err := isoPut(ctx, root, "root-object", "root"); err != nil {
		t.Fatal(err)
	}

	for _, pair := range [][2]string{{"ca", "cb"}, {"cb", "ca"}, {"ca", "ca0"}, {"ca0", "ca"}} {
		me, other := f.tenants[pair[0]], f.tenants[pair[1]]
		t.Run(me.cluster+" vs "+other.cluster, func(t *testing.T) {
			c := me.client
			key := me.prefix + "/backups/b1/b1.tar.gz"
			// Allowed: put, get, list, delete, multipart, bucket location.
			if err := isoPut(ctx, c, key, "mine"); err != nil {
				t.Fatalf("put own object: %v", err)
			}
			if got, err := isoGet(ctx, c, key); err != nil || got != "mine" {
				t.Fatalf("get own object = %q, %v", got, err)
			}
			for _, p := range []string{me.prefix + "/", me.prefix + "/backups/"} {
				keys, err := isoList(ctx, c, p)
				if err != nil || !isoContains(keys, key) {
					t.Fatalf("list %q = %v, %v; want it to hold %s", p, keys, err, key)
				}
			}
			if _, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(isoBucket)}); err != nil {
				t.Fatalf("get bucket location: %v", err)
			}
			mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(isoBucket), Key: aws.String(me.prefix + "/backups/big/big.tar.gz")})
			if err != nil {
				t.Fatalf("create multipart upload: %v", err)
			}
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(isoBucket), Key: mp.Key, UploadId: mp.UploadId}); err != nil {
				t.Fatalf("abort multipart upload: %v", err)
			}
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(isoBucket), Key: aws.String(key)}); err != nil {
				t.Fatalf("delete own object: %v", err)
			}
			if _, err := isoGet(ctx, root, key); isoCode(err) != "NoSuchKey" {
				t.Fatalf("own object still there after delete: %v", err)
			}

			// Denied: the root, the parent folders, the other prefix, a
			// bare-prefix listing that would reach a sibling.
			theirs := other.prefix + "/backups/seeded/seeded.tar.gz"
			denied := map[string]error{}
			_, denied["list bucket root"] = isoList(ctx, c, "")
			_, denied["list seed-eu/"] = isoList(ctx, c, "seed-eu/")
			_, denied["list own project folder"] = isoList(ctx, c, "seed-eu/"+me.project+"/")
			_, denied["list other prefix"] = isoList(ctx, c, other.prefix+"/")
			_, denied["list bare own prefix"] = isoList(ctx, c, me.prefix)
			_, denied["get other object"] = isoGet(ctx, c, theirs)
			_, denied["get root object"] = isoGet(ctx, c, "root-object")
			denied["put under other prefix"] = isoPut(ctx, c, other.prefix+"/backups/evil/evil.tar.gz", "evil")
			denied["overwrite other object"] = isoPut(ctx, c, theirs, "evil")
			denied["put at root"] = isoPut(ctx, c, "evil", "evil")
			denied["put beside own prefix"] = isoPut(ctx, c, me.prefix+"-x/evil", "evil")
			_, denied["delete other object"] = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(isoBucket), Key: aws.String(theirs)})
			_, denied["get bucket policy"] = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(isoBucket)})
			for what, err := range denied {
				if code := isoCode(err); code != "AccessDenied" {
					t.Errorf("%s: got %q, want AccessDenied", what, code)
				}
			}
			// HeadBucket is authorized as an unconditioned s3:ListBucket (as on
			// AWS), so a prefix-scoped credential gets a bare 403 for it: a
			// reachability check must decide by listing "<prefix>/".
			if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(isoBucket)}); isoCode(err) != "Forbidden" {
				t.Errorf("head bucket: got %q, want Forbidden (403)", isoCode(err))
			}
			if got, err := isoGet(ctx, root, theirs); err != nil || got != "seeded-"+other.cluster {
				t.Fatalf("other tenant's object changed: %q, %v", got, err)
			}
		})
	}
}

// TestBarePrefixListingWouldLeak shows why the policy allows listing
// "<prefix>/" but not the bare "<prefix>": with the bare prefix granted,
// cluster ca lists the keys of its sibling ca0.
func TestBarePrefixListingWouldLeak(t *testing.T) {
	f := startIsoFleet(t)
	ctx := context.Background()
	root := f.s3.Client(f.s3.RootAccessKey, f.s3.RootSecretKey)
	sibling := f.tenants["ca0"].prefix + "/backups/seeded/seeded.tar.gz"
	if err := isoPut(ctx, root, sibling, "x"); err != nil {
		t.Fatal(err)
	}
	a := f.tenants["ca"]
	widened := strings.Replace(f.policy, `"`+a.prefix+`/",`, `"`+a.prefix+`", "`+a.prefix+`/",`, 1)
	if widened == f.policy {
		t.Fatalf("could not widen the policy:\n%s", f.policy)
	}
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(isoBucket), Policy: aws.String(widened)}); err != nil {
		t.Fatal(err)
	}
	keys, err := isoList(ctx, a.client, a.prefix)
	if err != nil || !isoContains(keys, sibling) {
		t.Fatalf("widened policy: list %q = %v, %v; expected the sibling's key to leak", a.prefix, keys, err)
	}
}

// TestPolicyCommand checks the command's output and errors without a server.
func TestPolicyCommand(t *testing.T) {
	dir := t.TempDir()
	isoWriteFile(t, filepath.Join(dir, "cluster.yaml"), isoClusterYAML("ca", "pa", "backups-pa"))
	isoWriteFile(t, filepath.Join(dir, "cbsl.yaml"), isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", "https://s3.example.com"))
	isoWriteFile(t, filepath.Join(dir, "cbsl-other.yaml"), isoCBSLYAML("backups-pa", "pb", isoBucket, "seed-eu", "https://s3.example.com"))
	isoWriteFile(t, filepath.Join(dir, "cluster-other.yaml"), isoClusterYAML("ca", "pa", "elsewhere"))
	isoWriteFile(t, filepath.Join(dir, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n")
	cl, cb := filepath.Join(dir, "cluster.yaml"), filepath.Join(dir, "cbsl.yaml")
	twoDir := t.TempDir() // outside dir: the fleet mode below reads all of dir
	isoWriteFile(t, filepath.Join(twoDir, "two.yaml"), isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", "https://s3.example.com")+"---\n"+isoCBSLYAML("backups-pb", "pa", isoBucket, "seed-eu", "https://s3.example.com"))
	// The file KKP users keep: a CBSL and its Secret together.
	isoWriteFile(t, filepath.Join(twoDir, "cbsl-and-secret.yaml"), isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", "https://s3.example.com")+"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: backups-pa-credentials\n  namespace: kubermatic\n")

	t.Run("a CBSL and its Secret in one file", func(t *testing.T) {
		withSecret, stderr, code := runCLI(t, "", nil, "policy", "--cluster", cl, "--cbsl", filepath.Join(twoDir, "cbsl-and-secret.yaml"), "--principal", "AKIDA")
		if code != 0 {
			t.Fatalf("code %d: %s", code, stderr)
		}
		alone, _, _ := runCLI(t, "", nil, "policy", "--cluster", cl, "--cbsl", cb, "--principal", "AKIDA")
		if withSecret != alone {
			t.Fatalf("policy from the CBSL+Secret file differs from the CBSL alone:\n%s\n%s", withSecret, alone)
		}
	})

	t.Run("bucket policy is deterministic JSON", func(t *testing.T) {
		out1, stderr, code := runCLI(t, "", nil, "policy", "--cluster", cl, "--cbsl", cb, "--principal", "AKIDA")
		if code != 0 {
			t.Fatalf("code %d: %s", code, stderr)
		}
		out2, _, _ := runCLI(t, "", nil, "policy", "--cbsl", cb, "--principal", "AKIDA", "--cluster", cl, "--kind", "bucket")
		if out1 != out2 {
			t.Fatalf("two runs differ:\n%s\n%s", out1, out2)
		}
		var doc struct {
			Statement []struct {
				Sid       string
				Principal struct{ AWS []string }
				Resource  []string
				Condition map[string]map[string][]string
			}
		}
		if err := json.Unmarshal([]byte(out1), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Statement) != 3 || doc.Statement[0].Sid != "ClustercaListPrefix" || doc.Statement[0].Principal.AWS[0] != "AKIDA" ||
			doc.Statement[2].Resource[0] != "arn:aws:s3:::kkp-backups/seed-eu/pa/ca/*" ||
			strings.Join(doc.Statement[0].Condition["StringLike"]["s3:prefix"], " ") != "seed-eu/pa/ca/ seed-eu/pa/ca/*" {
			t.Fatalf("unexpected policy:\n%s", out1)
		}
	})
	t.Run("iam policy has no principal", func(t *testing.T) {
		out, stderr, code := runCLI(t, "", nil, "policy", "--cluster", cl, "--cbsl", cb, "--kind", "iam")
		if code != 0 || strings.Contains(out, "Principal") || !strings.Contains(out, `"arn:aws:s3:::kkp-backups/seed-eu/pa/ca/*"`) {
			t.Fatalf("code %d, stderr %s, out:\n%s", code, stderr, out)
		}
	})
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no principal":          {[]string{"--cluster", cl, "--cbsl", cb}, 2, "exactly one --principal"},
		"wildcard principal":    {[]string{"--cluster", cl, "--cbsl", cb, "--principal", "*"}, 2, "must not contain wildcards"},
		"bad kind":              {[]string{"--cluster", cl, "--cbsl", cb, "--kind", "acl"}, 2, `--kind must be "bucket" or "iam"`},
		"missing cbsl":          {[]string{"--cluster", cl, "--principal", "A"}, 2, "--cluster and --cbsl are required"},
		"cbsl of other project": {[]string{"--cluster", cl, "--cbsl", filepath.Join(dir, "cbsl-other.yaml"), "--principal", "A"}, 1, `cbsl-other.yaml: Cluster "ca": spec.backupConfig.backupStorageLocation.name: Forbidden: ClusterBackupStorageLocation kubermatic/backups-pa belongs to project "pb"`},
		"cluster names other":   {[]string{"--cluster", filepath.Join(dir, "cluster-other.yaml"), "--cbsl", cb, "--principal", "A"}, 1, `Cluster "ca": spec.backupConfig.backupStorageLocation.name: Invalid value: "elsewhere"`},
		"wrong kind in file":    {[]string{"--cluster", filepath.Join(dir, "secret.yaml"), "--cbsl", cb, "--principal", "A"}, 1, `secret.yaml: no Cluster in the file (it holds 1 Secret)`},
		"two CBSLs in a file":   {[]string{"--cluster", cl, "--cbsl", filepath.Join(twoDir, "two.yaml"), "--principal", "A"}, 1, `two.yaml: 2 objects of kind ClusterBackupStorageLocation in the file, expected one`},
		"fleet with iam":        {[]string{"-f", dir, "--kind", "iam"}, 2, "IAM identity policy is per credential"},
		"fleet and cluster":     {[]string{"-f", dir, "--cluster", cl}, 2, "either -f or --cluster"},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "", nil, append([]string{"policy"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("code %d, stderr %q; want code %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// TestPolicyFleetExamples runs the fleet mode on the bundled example fleet,
// which spans two buckets.
func TestPolicyFleetExamples(t *testing.T) {
	ex := filepath.Join(testenv.RepoRoot(), "examples", "fleet")
	_, stderr, code := runCLI(t, "", nil, "policy", "-f", ex, "--principal", "xkc6lgmfsn=A")
	if code != 2 || !strings.Contains(stderr, "the fleet uses 2 buckets (kkp-backups, team-b-backups)") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	_, stderr, code = runCLI(t, "", nil, "policy", "-f", ex, "--bucket", "kkp-backups", "--principal", "xkc6lgmfsn=A")
	if code != 2 || !strings.Contains(stderr, "no --principal CLUSTER=PRINCIPAL for cluster(s) r7tqz9d2wk") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	_, stderr, code = runCLI(t, "", nil, "policy", "-f", ex, "--bucket", "kkp-backups", "--principal", "xkc6lgmfsn=A", "--principal", "r7tqz9d2wk=B", "--principal", "nosuch=C")
	if code != 2 || !strings.Contains(stderr, `--principal names cluster "nosuch"`) {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	args := []string{"policy", "-f", filepath.Join(ex, "cluster-xkc6lgmfsn.yaml"), "-f", ex, "--bucket", "kkp-backups"}
	_, stderr, code = runCLI(t, "", nil, args...)
	if code != 1 || !strings.Contains(stderr, `cluster "xkc6lgmfsn" is also defined in`) {
		t.Fatalf("duplicate input: code %d, stderr %q", code, stderr)
	}
	out, stderr, code := runCLI(t, "", nil, "policy", "-f", ex, "--bucket", "kkp-backups", "--principal", "r7tqz9d2wk=B", "--principal", "xkc6lgmfsn=A")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var sids bytes.Buffer
	for _, s := range doc.Statement {
		sids.WriteString(s.Sid + " ")
	}
	want := "Clusterr7tqz9d2wkListPrefix Clusterr7tqz9d2wkBucketLocation Clusterr7tqz9d2wkObjects Clusterxkc6lgmfsnListPrefix Clusterxkc6lgmfsnBucketLocation Clusterxkc6lgmfsnObjects "
	if sids.String() != want {
		t.Fatalf("sids %q; want %q", sids.String(), want)
	}
	// team-b has a region; no warning expected for either bucket.
	if strings.Contains(stderr, "warning") {
		t.Fatalf("unexpected warning: %s", stderr)
	}
}

func isoContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestPolicySizeWarning: a fleet bucket policy beyond AWS's 20 KB limit is
// still written, with a warning pointing at per-credential IAM policies.
func TestPolicySizeWarning(t *testing.T) {
	dir := t.TempDir()
	isoWriteFile(t, filepath.Join(dir, "cbsl.yaml"), isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", "https://s3.example.com"))
	args := []string{"policy", "-f", dir}
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("c%02d", i)
		isoWriteFile(t, filepath.Join(dir, id+".yaml"), isoClusterYAML(id, "pa", "backups-pa"))
		args = append(args, "--principal", id+"=arn:aws:iam::123456789012:user/backup-"+id)
	}
	out, stderr, code := runCLI(t, "", nil, args...)
	if code != 0 || !strings.Contains(stderr, "warning: the bucket policy has") || !strings.Contains(stderr, "AWS accepts at most 20480") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if n := strings.Count(out, `"Sid"`); n != 90 {
		t.Fatalf("%d statements, want 90", n)
	}
	// One cluster stays far below the limit.
	_, stderr, _ = runCLI(t, "", nil, "policy", "-f", filepath.Join(dir, "cbsl.yaml"), "-f", filepath.Join(dir, "c00.yaml"), "--principal", "c00=A")
	if strings.Contains(stderr, "warning") {
		t.Fatalf("unexpected warning: %s", stderr)
	}
}

// TestPolicyBucketLevelReadsOnVersitygw: the trade-off option of `policy`
// through the CLI and on versitygw. With the default policy a prefix-scoped
// credential gets 403 for HeadBucket (what kopia-style existence checks and
// the AWS plugin without a region call); with --allow-bucket-level-reads
// HeadBucket passes and a missing object stays a plain 404 — and, the price
// the CLI warns about, the credential lists other clusters' key names,
// while their content stays unreadable.
func TestPolicyBucketLevelReadsOnVersitygw(t *testing.T) {
	f := startIsoFleet(t)
	ctx := context.Background()
	a, b := f.tenants["ca"], f.tenants["cb"]
	root := f.s3.Client(f.s3.RootAccessKey, f.s3.RootSecretKey)
	otherKey := b.prefix + "/backups/nightly/nightly.tar.gz"
	if err := isoPut(ctx, root, otherKey, "secret-backup-of-b"); err != nil {
		t.Fatal(err)
	}
	head := func() error {
		_, err := a.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(isoBucket)})
		return err
	}
	if err := head(); err == nil || !strings.Contains(isoCode(err), "Forbidden") && !strings.Contains(err.Error(), "403") {
		t.Fatalf("default policy: HeadBucket = %v, want 403", err)
	}

	out, stderr, code := runCLI(t, "", nil, "policy", "-f", f.dir, "--allow-bucket-level-reads",
		"--principal", "ca=tenanta", "--principal", "cb=tenantb", "--principal", "ca0=tenantc")
	if code != 0 {
		t.Fatalf("policy --allow-bucket-level-reads: code %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `warning: --allow-bucket-level-reads: each credential may list every key in bucket "kkp-backups"`) {
		t.Fatalf("no trade-off warning on stderr: %q", stderr)
	}
	if strings.Contains(out, "s3:prefix") || !strings.Contains(out, `"Sid": "ClustercaListBucket"`) || strings.Count(out, `"s3:ListBucket"`) != 3 {
		t.Fatalf("policy with bucket-level reads:\n%s", out)
	}
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(isoBucket), Policy: aws.String(out)}); err != nil {
		t.Fatalf("versitygw refused the policy: %v\n%s", err, out)
	}
	if err := head(); err != nil {
		t.Fatalf("HeadBucket with bucket-level reads: %v", err)
	}
	_, err := a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(isoBucket), Key: aws.String(a.prefix + "/backups/missing/missing.tar.gz")})
	if c := isoCode(err); c != "NotFound" && c != "NoSuchKey" {
		t.Fatalf("HEAD of a missing own object: %v, want 404", err)
	}
	keys, err := isoList(ctx, a.client, "")
	if err != nil || !isoContains(keys, otherKey) {
		t.Fatalf("the documented price: listing the root should show %s, got %v, %v", otherKey, keys, err)
	}
	if _, err := isoGet(ctx, a.client, otherKey); isoCode(err) != "AccessDenied" {
		t.Fatalf("reading another cluster's backup with bucket-level reads: %v, want AccessDenied", err)
	}
	if err := isoPut(ctx, a.client, b.prefix+"/backups/x/x.tar.gz", "x"); isoCode(err) != "AccessDenied" {
		t.Fatalf("writing into another cluster's prefix: %v, want AccessDenied", err)
	}
}
