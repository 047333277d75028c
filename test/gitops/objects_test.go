package gitopstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// object is one decoded Kubernetes object.
type object = map[string]any

// parseStream decodes a multi-document YAML stream (v1 Lists unpacked).
func parseStream(t testing.TB, b []byte) []object {
	t.Helper()
	var out []object
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		if o == nil {
			continue
		}
		if o["kind"] == "List" {
			items, _ := o["items"].([]any)
			for _, it := range items {
				out = append(out, it.(object))
			}
			continue
		}
		out = append(out, o)
	}
}

// key identifies an object: apiVersion, kind, namespace, name.
func key(o object) string {
	md, _ := o["metadata"].(object)
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	return o["apiVersion"].(string) + " " + o["kind"].(string) + " " + ns + "/" + name
}

// objectSet maps each object's key to its canonical JSON (sorted keys), for
// order-independent semantic comparison. Duplicate keys fail the test.
func objectSet(t *testing.T, what string, objs []object) map[string]string {
	t.Helper()
	set := make(map[string]string, len(objs))
	for _, o := range objs {
		k := key(o)
		if _, dup := set[k]; dup {
			t.Fatalf("%s: object %s twice", what, k)
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		set[k] = string(b)
	}
	return set
}

// runCmd runs a command and returns stdout; failure fails the test with
// stderr.
func runCmd(t testing.TB, cmd *exec.Cmd) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return out
}

// copyFile copies one file, creating the target's directory.
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, b)
}

func writeFile(t testing.TB, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(dirOf(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func dirOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}
