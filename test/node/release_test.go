package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/renderer"
)

const (
	veleroNS  = "velero"
	bucket    = "kkp-backups"
	cbslPre   = "seed-eu"
	projectID = "jnpllgp66z"
	// gitops is the field manager of the applies, as Argo CD or Flux would be.
	gitops = "e2e-gitops"
)

// release is one user cluster's rendered release running on a node, backed
// by its own S3 server on the node address.
type release struct {
	node    *node.Node
	s3      *s3env.Server
	id      string
	prefix  string
	objects []*unstructured.Unstructured
	cbsl    *kkpv1.ClusterBackupStorageLocation
	secret  *corev1.Secret
}

// releaseOptions shape a release.
type releaseOptions struct {
	// ClusterID is the KKP cluster ID. Default "xkc6lgmfsn".
	ClusterID string
	// Render are the renderer options; Registry and Credentials are set by
	// deployRelease (the node's registry, inline credentials).
	Render renderer.Options
}

// deployRelease starts S3 on the node address, renders the cluster's release
// with the node's registry as --registry, and applies every object with
// server-side apply in render order, as a GitOps tool would.
func deployRelease(t *testing.T, n *node.Node, o releaseOptions) *release {
	t.Helper()
	ctx := context.Background()
	if o.ClusterID == "" {
		o.ClusterID = "xkc6lgmfsn"
	}
	s3 := s3env.StartOn(t, node.IP)
	testenv.Must(t, s3.CreateBucket(ctx, bucket))
	r := &release{node: n, s3: s3, id: o.ClusterID}
	r.cbsl, r.secret = s3env.Location(s3, "backups-eu", bucket, cbslPre, projectID)
	cluster := &kkpv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubermatic.k8c.io/v1", Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: o.ClusterID, Labels: map[string]string{kkpv1.ProjectIDLabel: projectID}},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: r.cbsl.Name}}},
	}
	in := renderer.Input{Cluster: cluster, CBSL: r.cbsl, Secret: r.secret}
	pfx, err := in.Prefix()
	testenv.Must(t, err)
	r.prefix = pfx
	ro := o.Render
	ro.Registry = n.Registry
	ro.Credentials = renderer.CredentialsInline
	rd, err := renderer.New(ro)
	testenv.Must(t, err)
	res, err := rd.Render(ctx, in)
	testenv.Must(t, err)
	r.objects, err = res.Objects()
	testenv.Must(t, err)
	for _, obj := range r.objects {
		applyObject(t, n.Client, obj)
	}
	return r
}

// applyObject server-side applies obj, retrying while its kind is not
// served yet (a CRD applied just before) or a webhook it needs is starting.
func applyObject(t *testing.T, c client.Client, obj *unstructured.Unstructured) {
	t.Helper()
	o := obj.DeepCopy()
	o.SetManagedFields(nil)
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		err = c.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(gitops), client.ForceOwnership)
		if err == nil {
			return
		}
		if !meta.IsNoMatchError(err) && !strings.Contains(err.Error(), "the server could not find the requested resource") && !strings.Contains(err.Error(), "failed calling webhook") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("apply %s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
}

// images returns every container and init container image of the render's
// workloads, and the restore helper's.
func (r *release) images() []string {
	var out []string
	for _, o := range r.objects {
		for _, f := range [][]string{{"spec", "template", "spec", "containers"}, {"spec", "template", "spec", "initContainers"}} {
			cs, _, _ := unstructured.NestedSlice(o.Object, f...)
			for _, c := range cs {
				if m, ok := c.(map[string]any); ok {
					out = append(out, fmt.Sprint(m["image"]))
				}
			}
		}
		if o.GetKind() == "ConfigMap" && o.GetName() == "fs-restore-action-config" {
			img, _, _ := unstructured.NestedString(o.Object, "data", "image")
			out = append(out, img)
		}
	}
	return out
}

// must is testenv.Must under the short name drill_test.go spells.
var must = testenv.Must

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

// readObjects decodes every object of a YAML file (several documents allowed).
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(path)
	testenv.Must(t, err)
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var out []*unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, &u)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
