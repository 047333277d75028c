package s3env

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// KKPFleet returns the KKP-shaped fixtures (examples/kkp: objects exactly as
// KKP's dashboard and controllers write them) pointed at s: every CBSL's
// config.s3Url and region name s, and every credential Secret holds the
// keys ak/sk in KKP's layout. Nothing else is changed. The CBSLs' buckets
// are created on s.
func KKPFleet(t testenv.TB, s *Server, ak, sk string) *input.Objects {
	t.Helper()
	objs, err := input.LoadFS(examples.KKP, "kkp")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range objs.CBSLs {
		c.Object.Spec.Config[storage.ConfigS3URL] = s.Endpoint
		c.Object.Spec.Config[storage.ConfigRegion] = Region
		if err := s.CreateBucket(context.Background(), c.Object.Spec.ObjectStorage.Bucket); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			t.Fatal(err)
		}
	}
	for _, sec := range objs.Secrets {
		sec.Object.Data["accessKeyId"] = []byte(ak)
		sec.Object.Data["secretAccessKey"] = []byte(sk)
	}
	return objs
}

// WriteObjects writes every CBSL and Secret as its own YAML file into dir
// (created if needed), with the Clusters of examples/kkp as KKP wrote them
// (every field, not only those clusterbackup reads), and returns dir.
func WriteObjects(t testenv.TB, dir string, objs *input.Objects) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(kind, name string, obj any) {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s.yaml", kind, name)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clusters, err := fs.Glob(examples.KKP, "kkp/cluster-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range clusters {
		b, err := fs.ReadFile(examples.KKP, name)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any // every field KKP wrote, not only ours
		if err := yaml.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		id, _, _ := unstructured.NestedString(raw, "metadata", "name")
		for _, c := range objs.Clusters { // a test may have pointed it elsewhere
			if c.Object.Name == id {
				if err := unstructured.SetNestedField(raw, c.Object.StorageLocationName(), "spec", "backupConfig", "backupStorageLocation", "name"); err != nil {
					t.Fatal(err)
				}
			}
		}
		write("cluster", id, raw)
	}
	for _, c := range objs.CBSLs {
		write("cbsl", c.Object.Name, c.Object)
	}
	for _, s := range objs.Secrets {
		write("secret", s.Object.Name, s.Object)
	}
	return dir
}
