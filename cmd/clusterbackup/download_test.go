package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// isoTarball builds a small backup tarball in Velero's layout, with 1 MiB
// of incompressible data so the download really streams.
func isoTarball(t *testing.T) []byte {
	t.Helper()
	noise := make([]byte, 1<<20)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"metadata/version", []byte("1\n")},
		{"resources/configmaps/namespaces/ns/cm.json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"ns"},"data":{"k":"v"}}`)},
		{"resources/configmaps/namespaces/ns/noise.bin", noise},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// isoTarballHas reports whether a .tar.gz holds a file.
func isoTarballHas(t *testing.T, data []byte, name string) bool {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			return true
		}
	}
}

// isoDirEntries lists a directory's names.
func isoDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestDownloadOnVersitygw is the acceptance test of the download command:
// tenant A's backup, written under A's prefix with A's credential, comes back
// byte for byte through -o and through a presigned URL that expires.
func TestDownloadOnVersitygw(t *testing.T) {
	f := startIsoFleet(t)
	ctx := context.Background()
	a := f.tenants["ca"]
	tarball := isoTarball(t)
	if err := isoPut(ctx, a.client, a.prefix+"/backups/nightly/nightly.tar.gz", string(tarball)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ { // more backups than a missing-backup error lists
		name := fmt.Sprintf("daily-%02d", i)
		if err := isoPut(ctx, a.client, a.prefix+"/backups/"+name+"/"+name+"-logs.gz", "log"); err != nil {
			t.Fatal(err)
		}
	}
	// The CBSL's own credential Secret in Velero's INI layout under "cloud".
	secret := filepath.Join(f.dir, "secret-a.yaml")
	isoWriteFile(t, secret, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: backups-pa-credentials
  namespace: kubermatic
  labels:
    project-id: pa
stringData:
  cloud: |
    [default]
    aws_access_key_id=%s
    aws_secret_access_key=%s
`, a.ak, a.sk))
	const wrongSecret = "not-the-secret-of-tenant-a"
	wrong := filepath.Join(f.dir, "secret-wrong.yaml")
	isoWriteFile(t, wrong, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca-dedicated\ndata:\n  accessKeyId: %s\n  secretAccessKey: %s\n",
		base64.StdEncoding.EncodeToString([]byte(a.ak)), base64.StdEncoding.EncodeToString([]byte(wrongSecret))))
	cluster, cbsl := filepath.Join(f.dir, "cluster-ca.yaml"), filepath.Join(f.dir, "cbsl-pa.yaml")
	base := []string{"download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", cbsl, "--secret", secret}

	t.Run("streamed to a file with identical bytes", func(t *testing.T) {
		out := t.TempDir()
		dest := filepath.Join(out, "nightly.tar.gz")
		_, stderr, code := runCLI(t, "", nil, append(base, "--backup", "nightly", "-o", dest)...)
		if code != 0 {
			t.Fatalf("code %d: %s", code, stderr)
		}
		got, err := os.ReadFile(dest)
		if err != nil || !bytes.Equal(got, tarball) {
			t.Fatalf("downloaded %d bytes (err %v), want the %d bytes uploaded", len(got), err, len(tarball))
		}
		if !isoTarballHas(t, got, "resources/configmaps/namespaces/ns/cm.json") {
			t.Fatal("the tarball lacks the ConfigMap")
		}
		if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", st.Mode().Perm())
		}
		if names := isoDirEntries(t, out); len(names) != 1 {
			t.Fatalf("output directory holds %v; want only the tarball", names)
		}
		if !strings.Contains(stderr, fmt.Sprintf("(%d bytes)", len(tarball))) {
			t.Fatalf("stderr %q", stderr)
		}
	})

	t.Run("CBSL and its Secret in one file, no --secret", func(t *testing.T) {
		// The file KKP users keep: the CBSL and its credential Secret together.
		cbslText, err := os.ReadFile(cbsl)
		testenv.Must(t, err)
		secretText, err := os.ReadFile(secret)
		testenv.Must(t, err)
		both := filepath.Join(t.TempDir(), "cbsl-and-secret.yaml")
		isoWriteFile(t, both, string(cbslText)+"\n---\n"+string(secretText))
		dest := filepath.Join(t.TempDir(), "nightly.tar.gz")
		_, stderr, code := runCLI(t, "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", both, "--backup", "nightly", "-o", dest)
		if code != 0 {
			t.Fatalf("code %d: %s", code, stderr)
		}
		if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, tarball) {
			t.Fatalf("downloaded %d bytes (err %v), want the %d bytes uploaded", len(got), err, len(tarball))
		}
		// The same file as --cbsl and --secret.
		dest2 := filepath.Join(t.TempDir(), "nightly.tar.gz")
		if _, stderr, code := runCLI(t, "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", both, "--secret", both, "--backup", "nightly", "-o", dest2); code != 0 {
			t.Fatalf("--secret of the same file: code %d: %s", code, stderr)
		}
		// Without the Secret in the file: the error names the Secret and the fix.
		_, stderr, code = runCLI(t, "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", cbsl, "--backup", "nightly", "--url")
		want := `no Secret kubermatic/backups-pa-credentials, which ClusterBackupStorageLocation backups-pa spec.credential.name names: give it with --secret FILE`
		if code != 2 || !strings.Contains(stderr, want) {
			t.Fatalf("code %d, stderr %q; want 2 and %q", code, stderr, want)
		}
	})

	t.Run("presigned URL returns the bytes and expires", func(t *testing.T) {
		out, stderr, code := runCLI(t, "", nil, append(base, "--backup", "nightly", "--url", "--expires", "2s")...)
		if code != 0 {
			t.Fatalf("code %d: %s", code, stderr)
		}
		u := strings.TrimSpace(out)
		if strings.Contains(u, a.sk) || !strings.Contains(u, "X-Amz-Signature=") {
			t.Fatalf("unexpected URL %q", u)
		}
		signedAt := time.Now()
		status, body := isoHTTPGet(t, u)
		if status != http.StatusOK || !bytes.Equal(body, tarball) {
			t.Fatalf("GET before expiry: %d, %d bytes", status, len(body))
		}
		time.Sleep(time.Until(signedAt.Add(3 * time.Second)))
		if status, _ := isoHTTPGet(t, u); status != http.StatusForbidden {
			t.Fatalf("GET after expiry: %d, want 403", status)
		}
		tampered := strings.Replace(u, "nightly.tar.gz", "daily-01.tar.gz", 1)
		if status, _ := isoHTTPGet(t, tampered); status != http.StatusForbidden {
			t.Fatalf("GET of a tampered URL: %d, want 403", status)
		}
	})

	t.Run("missing backup lists existing ones and leaves no file", func(t *testing.T) {
		out := t.TempDir()
		for _, mode := range [][]string{{"-o", filepath.Join(out, "x.tar.gz")}, {"--url"}} {
			stdout, stderr, code := runCLI(t, "", nil, append(append(base, "--backup", "weekly"), mode...)...)
			want := `backup "weekly" not found: no object s3://kkp-backups/seed-eu/pa/ca/backups/weekly/weekly.tar.gz; backups under seed-eu/pa/ca/backups/: daily-01, daily-02, daily-03, daily-04, daily-05, …`
			if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
				t.Fatalf("%v: code %d, stdout %q, stderr %q; want %q", mode, code, stdout, stderr, want)
			}
		}
		if names := isoDirEntries(t, out); len(names) != 0 {
			t.Fatalf("output directory holds %v after a failure", names)
		}
		// A backup folder without a tarball (in progress or failed).
		_, stderr, _ := runCLI(t, "", nil, append(base, "--backup", "daily-01", "-o", filepath.Join(out, "x.tar.gz"))...)
		if !strings.Contains(stderr, "holds no tarball") {
			t.Fatalf("stderr %q", stderr)
		}
	})

	t.Run("an existing file survives a failed download", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "keep.tar.gz")
		isoWriteFile(t, dest, "previous")
		if _, _, code := runCLI(t, "", nil, append(base, "--backup", "weekly", "-o", dest)...); code != 1 {
			t.Fatalf("code %d", code)
		}
		if b, _ := os.ReadFile(dest); string(b) != "previous" || len(isoDirEntries(t, filepath.Dir(dest))) != 1 {
			t.Fatalf("existing file changed to %q or leftovers: %v", b, isoDirEntries(t, filepath.Dir(dest)))
		}
	})

	t.Run("wrong secret gives a clear 403 without secrets", func(t *testing.T) {
		out := t.TempDir()
		args := []string{"download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", cbsl, "--secret", wrong, "--backup", "nightly"}
		for _, mode := range [][]string{{"-o", filepath.Join(out, "x.tar.gz")}, {"--url"}} {
			stdout, stderr, code := runCLI(t, "", nil, append(args, mode...)...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, `refused access key "tenanta" (HTTP 403, SignatureDoesNotMatch)`) {
				t.Fatalf("%v: code %d, stdout %q, stderr %q", mode, code, stdout, stderr)
			}
			if strings.Contains(stderr, wrongSecret) || strings.Contains(stderr, a.sk) {
				t.Fatalf("stderr leaks a secret: %q", stderr)
			}
		}
		if names := isoDirEntries(t, out); len(names) != 0 {
			t.Fatalf("output directory holds %v after a failure", names)
		}
	})

	t.Run("another tenant's credential is denied", func(t *testing.T) {
		b := f.tenants["cb"]
		other := filepath.Join(f.dir, "secret-b.yaml")
		isoWriteFile(t, other, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: cb-dedicated\nstringData:\n  accessKeyId: %s\n  secretAccessKey: %s\n", b.ak, b.sk))
		// B's credential against A's cluster: the CBSL of A's project, B's key.
		stdout, stderr, code := runCLI(t, "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", cbsl, "--secret", other, "--backup", "nightly", "--url")
		if code != 1 || stdout != "" || !strings.Contains(stderr, `access denied (HTTP 403) for access key "tenantb"`) || strings.Contains(stderr, b.sk) {
			t.Fatalf("code %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})

	t.Run("unreachable endpoint", func(t *testing.T) {
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		dead := filepath.Join(t.TempDir(), "cbsl-dead.yaml")
		isoWriteFile(t, dead, isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", fmt.Sprintf("http://127.0.0.1:%d", port)))
		out := t.TempDir()
		_, stderr, code := runCLI(t, "", nil, "download", "--allow-cidr", "127.0.0.1", "--cluster", cluster, "--cbsl", dead, "--secret", secret, "--backup", "nightly", "-o", filepath.Join(out, "x"))
		if code != 1 || !strings.Contains(stderr, fmt.Sprintf("endpoint unreachable: connection to 127.0.0.1:%d refused: nothing listens there", port)) {
			t.Fatalf("code %d, stderr %q", code, stderr)
		}
		if names := isoDirEntries(t, out); len(names) != 0 {
			t.Fatalf("output directory holds %v after a failure", names)
		}
	})
}

func isoHTTPGet(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestDownloadFlags checks the command line without a server.
func TestDownloadFlags(t *testing.T) {
	dir := t.TempDir()
	isoWriteFile(t, filepath.Join(dir, "cluster.yaml"), isoClusterYAML("ca", "pa", "backups-pa"))
	isoWriteFile(t, filepath.Join(dir, "cbsl.yaml"), isoCBSLYAML("backups-pa", "pb", isoBucket, "seed-eu", "https://s3.example.com"))
	isoWriteFile(t, filepath.Join(dir, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  accessKeyId: AK\n")
	isoWriteFile(t, filepath.Join(dir, "cbsl-pa.yaml"), isoCBSLYAML("backups-pa", "pa", isoBucket, "seed-eu", "https://s3.example.com"))
	in := []string{"--cluster", filepath.Join(dir, "cluster.yaml"), "--cbsl", filepath.Join(dir, "cbsl.yaml"), "--secret", filepath.Join(dir, "secret.yaml")}
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no mode":             {append(in, "--backup", "b"), 2, "exactly one of -o FILE and --url"},
		"both modes":          {append(in, "--backup", "b", "-o", "x", "--url"), 2, "exactly one of -o FILE and --url"},
		"expires without url": {append(in, "--backup", "b", "-o", "x", "--expires", "1m"), 2, "--expires needs --url"},
		"no backup":           {append(in, "--url"), 2, "--backup are required"},
		"secret file of clusters": {[]string{"--cluster", filepath.Join(dir, "cluster.yaml"), "--cbsl", filepath.Join(dir, "cbsl-pa.yaml"), "--secret", filepath.Join(dir, "cluster.yaml"), "--backup", "b", "--url"}, 1,
			`cluster.yaml: no Secret in the file (it holds 1 Cluster)`},
		"bad backup name": {append(in, "--backup", "../etc", "--url"), 2, `backup name "../etc"`},
		"cbsl of other project": {append(in, "--backup", "b", "--url"), 1,
			`Cluster "ca": spec.backupConfig.backupStorageLocation.name: Forbidden: ClusterBackupStorageLocation kubermatic/backups-pa belongs to project "pb"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, "", nil, append([]string{"download"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("code %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
