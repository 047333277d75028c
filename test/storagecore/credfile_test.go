package storagecore

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// TestCredentialsFileOneLayout: the three writers of the AWS credentials
// file Velero reads — the seed's credentials loop (creds.Static.INI), the
// chart's inline Secret and the chart's ExternalSecret template — write the
// same file for KKP's CBSLs without config.profile, with "default" and with
// another profile; and the profile the rendered BSL passes to the AWS plugin
// is in that file (before, the chart wrote only [default], so a CBSL with
// config.profile rendered a BSL naming a profile its file lacked).
func TestCredentialsFileOneLayout(t *testing.T) {
	const ak, sk = "AKIAKKPEXAMPLE", "kkpExampleSecretKey0123"
	want := creds.Static{AccessKeyID: ak, SecretAccessKey: sk}
	for _, profile := range []string{"", "default", "backup"} {
		t.Run("profile "+profile, func(t *testing.T) {
			objs, err := input.LoadFS(examples.KKP, "kkp")
			testenv.Must(t, err)
			for _, c := range objs.CBSLs {
				if profile != "" {
					c.Object.Spec.Config[storage.ConfigProfile] = profile
				}
			}
			for _, s := range objs.Secrets {
				s.Object.Data = map[string][]byte{"accessKeyId": []byte(ak), "secretAccessKey": []byte(sk)}
			}
			dir := s3env.WriteObjects(t, filepath.Join(t.TempDir(), "in"), objs)
			file := want.INI(profile) // the credentials loop's file
			if got, err := creds.ParseINI(file, profile); err != nil || got != want {
				t.Fatalf("the loop's file does not serve profile %q: %v", profile, err)
			}

			inline := renderKinds(t, dir, "--credentials", "inline")
			if len(inline["Secret"]) == 0 || len(inline["BackupStorageLocation"]) == 0 {
				t.Fatalf("inline render: no Secret or BSL")
			}
			for _, bsl := range inline["BackupStorageLocation"] {
				if p, _, _ := unstructured.NestedString(bsl.Object, "spec", "config", "profile"); p != profile {
					t.Fatalf("BSL %s config.profile = %q, want %q", bsl.GetName(), p, profile)
				}
			}
			for _, s := range inline["Secret"] {
				got, _, _ := unstructured.NestedString(s.Object, "data", "cloud")
				if got != b64(file) {
					t.Fatalf("inline Secret %s/%s holds a different file than the loop's:\n%s\nwant\n%s", s.GetNamespace(), s.GetName(), unb64(t, got), file)
				}
			}

			eso := renderKinds(t, dir, "--credentials", "externalSecret", "--external-secret-store", "vault")
			if len(eso["ExternalSecret"]) == 0 {
				t.Fatal("externalSecret render: no ExternalSecret")
			}
			for _, es := range eso["ExternalSecret"] {
				text, _, _ := unstructured.NestedString(es.Object, "spec", "target", "template", "data", "cloud")
				// External Secrets Operator's template engine v2 is Go's
				// text/template with sprig's functions; the template uses trim.
				tpl, err := template.New("cloud").Funcs(template.FuncMap{"trim": strings.TrimSpace}).Parse(text)
				testenv.Must(t, err)
				var b bytes.Buffer
				testenv.Must(t, tpl.Execute(&b, map[string]string{"accessKeyId": ak + "\n", "secretAccessKey": " " + sk}))
				if b.String() != string(file) {
					t.Fatalf("ExternalSecret %s makes a different file than the loop's:\n%s\nwant\n%s", es.GetName(), b.String(), file)
				}
			}
		})
	}
}

// renderKinds renders dir with the CLI and extra flags and returns the
// objects by kind.
func renderKinds(t *testing.T, dir string, flags ...string) map[string][]*unstructured.Unstructured {
	t.Helper()
	out, stderr, code := run(t, "", "", nil, append([]string{"render", "-f", dir}, flags...)...)
	if code != 0 {
		t.Fatalf("render %v: exit %d: %s", flags, code, stderr)
	}
	objs, err := renderer.DecodeObjects(strings.NewReader(out))
	testenv.Must(t, err)
	byKind := map[string][]*unstructured.Unstructured{}
	for _, o := range objs {
		byKind[o.GetKind()] = append(byKind[o.GetKind()], o)
	}
	return byKind
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	testenv.Must(t, err)
	return string(b)
}
