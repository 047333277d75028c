package main

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const krmInput = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: render
  data:
    cluster: c1
items:
- apiVersion: kubermatic.k8c.io/v1
  kind: ClusterBackupStorageLocation
  metadata:
    name: s3
    namespace: kubermatic
    labels:
      project-id: p1
  spec:
    provider: aws
    objectStorage:
      bucket: bkt
    credential:
      name: s3-credentials
- apiVersion: kubermatic.k8c.io/v1
  kind: Cluster
  metadata:
    name: c1
    labels:
      project-id: PROJECT
  spec:
    backupConfig:
      backupStorageLocation:
        name: s3
`

func TestKRM(t *testing.T) {
	out, stderr, code := runCLI(t, strings.Replace(krmInput, "PROJECT", "p1", 1), nil, "krm")
	if code != 0 || stderr != "" {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	var rl struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
		// results
		Results []map[string]any `json:"results"`
	}
	if err := yaml.Unmarshal([]byte(out), &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Kind != "ResourceList" || len(rl.Items) < 10 || len(rl.Results) != 1 || rl.Results[0]["severity"] != "info" {
		t.Fatalf("kind %s, %d items, results %v", rl.Kind, len(rl.Items), rl.Results)
	}
	for _, it := range rl.Items {
		if it["kind"] == "Cluster" || it["kind"] == "ClusterBackupStorageLocation" {
			t.Errorf("input %s left among the items", it["kind"])
		}
	}
}

func TestKRMError(t *testing.T) {
	out, stderr, code := runCLI(t, strings.Replace(krmInput, "PROJECT", "p2", 1), nil, "krm")
	if code != 1 || !strings.Contains(stderr, `belongs to project "p1", not to the cluster's project "p2"`) {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	var rl struct {
		Items   []map[string]any `json:"items"`
		Results []map[string]any `json:"results"`
	}
	if err := yaml.Unmarshal([]byte(out), &rl); err != nil {
		t.Fatal(err)
	}
	if len(rl.Items) != 2 || len(rl.Results) != 1 || rl.Results[0]["severity"] != "error" {
		t.Fatalf("items %d results %v", len(rl.Items), rl.Results)
	}
	_, stderr, code = runCLI(t, "kind: List\n", nil, "krm")
	if code != 1 || !strings.Contains(stderr, "want config.kubernetes.io/v1 ResourceList on standard input") {
		t.Fatalf("not a ResourceList: code=%d stderr=%s", code, stderr)
	}
}
