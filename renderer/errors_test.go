package renderer

import (
	"fmt"
	"strings"
	"testing"
)

// cbslDoc and clusterDoc build input documents for the error tests.
func cbslDoc(name, project, provider, bucket, prefix string) string {
	return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: ClusterBackupStorageLocation
metadata:
  name: %s
  namespace: kubermatic
  labels:
    project-id: %q
spec:
  provider: %s
  objectStorage:
    bucket: %q
    prefix: %q
  config:
    region: eu-central-1
  credential:
    name: %s-credentials
`, name, project, provider, bucket, prefix, name)
}

func clusterDoc(name, project, cbsl string) string {
	labels := ""
	if project != "" {
		labels = fmt.Sprintf("  labels:\n    project-id: %q\n", project)
	}
	return fmt.Sprintf(`apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: %q
%sspec:
  backupConfig:
    backupStorageLocation:
      name: %s
`, name, labels, cbsl)
}

func fleetDocs(docs ...string) string { return strings.Join(docs, "---\n") }

// TestInputErrors has one scenario per refused input; each error must name
// the file and document, the object, the field and the rule.
func TestInputErrors(t *testing.T) {
	okCBSL := cbslDoc("loc", "proj1", "aws", "bucket", "seed")
	tests := map[string]struct {
		stream string
		want   []string // substrings of the error
	}{
		"cluster without project-id": {
			stream: fleetDocs(okCBSL, clusterDoc("c1", "", "loc")),
			want:   []string{"fleet.yaml#2", `Cluster "c1"`, "metadata.labels[project-id]: Required value"},
		},
		"CBSL missing": {
			stream: fleetDocs(clusterDoc("c1", "proj1", "nowhere")),
			want:   []string{"fleet.yaml#1", `Cluster "c1"`, `spec.backupConfig.backupStorageLocation.name: Not found: "nowhere"`},
		},
		"CBSL of another project": {
			stream: fleetDocs(okCBSL, clusterDoc("c1", "proj2", "loc")),
			want:   []string{"fleet.yaml#2", `Cluster "c1"`, "spec.backupConfig.backupStorageLocation.name: Forbidden", `belongs to project "proj1"`},
		},
		"provider not aws": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "gcp", "bucket", ""), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"fleet.yaml#1", `ClusterBackupStorageLocation "kubermatic/loc"`, `spec.provider: Unsupported value: "gcp"`},
		},
		"bucket missing": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "", ""), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"fleet.yaml#1", "spec.objectStorage.bucket: Required value"},
		},
		"bucket with slash": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "bucket/sub", ""), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"fleet.yaml#1", `spec.objectStorage.bucket: Invalid value: "bucket/sub": must not contain '/'`},
		},
		"prefix with empty segment": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", "a//b"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", "segment 2 is empty"},
		},
		"prefix with dot segment": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", "a/./b"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", `segment 2 is "."`},
		},
		"prefix with dotdot segment": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", "p1/cA/../../p2/cX"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", `segment 3 is ".."`},
		},
		"prefix with leading slash": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", "/abs"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", "must not start with '/'"},
		},
		"prefix with backslash": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", `a\b`), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", "backslash"},
		},
		"prefix with control character": {
			stream: fleetDocs(cbslDoc("loc", "proj1", "aws", "b", "a\tb"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"spec.objectStorage.prefix: Invalid value", "control characters"},
		},
		"cluster ID not a single safe segment": {
			stream: fleetDocs(okCBSL, clusterDoc("../c1", "proj1", "loc")),
			want:   []string{"fleet.yaml#2", "metadata.name: Invalid value", "single safe path segment"},
		},
		"project ID not a single safe segment": {
			stream: fleetDocs(cbslDoc("loc", "a/b", "aws", "b", ""), clusterDoc("c1", "a/b", "loc")),
			want:   []string{"metadata.labels[project-id]: Invalid value", "single safe path segment"},
		},
		"duplicate cluster IDs": {
			stream: fleetDocs(okCBSL, clusterDoc("c1", "proj1", "loc"), clusterDoc("c1", "proj1", "loc")),
			want:   []string{"fleet.yaml#3", `Cluster "c1"`, "metadata.name: Duplicate value", "first defined at fleet.yaml#2"},
		},
		"nested prefixes in one fleet": {
			stream: fleetDocs(
				cbslDoc("outer", "proj1", "aws", "shared", "x"),
				cbslDoc("inner", "proj2", "aws", "shared", "x/proj1/c1"),
				clusterDoc("c1", "proj1", "outer"),
				clusterDoc("c2", "proj2", "inner")),
			want: []string{"fleet.yaml#4", `Cluster "c2"`, "spec.backupConfig.backupStorageLocation.name: Invalid value", `prefix "x/proj1/c1/proj2/c2" lies inside the prefix "x/proj1/c1" of cluster "c1"`},
		},
		"unknown kind": {
			stream: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
			want:   []string{"fleet.yaml#1", `kind "ConfigMap"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseInputs("fleet.yaml", strings.NewReader(tc.stream))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestNoNestingAcrossStorage: the same prefixes on different buckets do not
// conflict, and sibling prefixes ("p/c1", "p/c10") never nest.
func TestNoNestingAcrossStorage(t *testing.T) {
	stream := fleetDocs(
		cbslDoc("outer", "proj1", "aws", "bucket-a", "x"),
		cbslDoc("inner", "proj2", "aws", "bucket-b", "x/proj1/c1"),
		clusterDoc("c1", "proj1", "outer"),
		clusterDoc("c10", "proj1", "outer"),
		clusterDoc("c2", "proj2", "inner"))
	ins, err := ParseInputs("fleet.yaml", strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 || ins[0].ClusterID() != "c1" || ins[1].ClusterID() != "c10" || ins[2].ClusterID() != "c2" {
		t.Fatalf("fleet = %v", ins)
	}
	p, err := ins[2].Prefix()
	if err != nil || p != "x/proj1/c1/proj2/c2" {
		t.Fatalf("prefix = %q, %v", p, err)
	}
}

// TestAllErrorsReported: a fleet with several problems reports each.
func TestAllErrorsReported(t *testing.T) {
	stream := fleetDocs(cbslDoc("loc", "proj1", "aws", "bkt", ""), clusterDoc("c1", "", "loc"), clusterDoc("c2", "proj1", "missing"))
	_, err := ParseInputs("fleet.yaml", strings.NewReader(stream))
	if err == nil || !strings.Contains(err.Error(), "2 problems") || !strings.Contains(err.Error(), `Cluster "c1"`) || !strings.Contains(err.Error(), `Cluster "c2"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestInlineCredentialsNeedTheSecret: opting into inline credentials without
// the Secret among the inputs names the CBSL field; the secret never shows.
func TestInlineCredentialsNeedTheSecret(t *testing.T) {
	in := loadCase(t, "plain")
	_, err := Values(in, Options{Credentials: CredentialsInline})
	if err == nil || !strings.Contains(err.Error(), "spec.credential.name: Not found") {
		t.Fatalf("err = %v", err)
	}
	in = loadCase(t, "inline-credentials")
	in.Secret.Data = map[string][]byte{"accessKeyId": []byte("AKIAONLY")}
	_, err = Values(in, Options{Credentials: CredentialsInline})
	if err == nil || strings.Contains(err.Error(), "fakeSecret") {
		t.Fatalf("err = %v", err)
	}
}
