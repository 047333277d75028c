package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
)

const (
	appNS       = "shop"
	appPod      = "db"
	appPVC      = "data"
	localClass  = "local"
	workloadMiB = 8
)

// createLocalPV makes a local PV (a directory under the node's state, bound to
// the node) of class localClass and returns its directory. File System
// Backup reads local volumes (it skips hostPath ones).
func createLocalPV(t *testing.T, n *node.Node, name string) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(n.Dir, "pv", name)
	testenv.Must(t, os.MkdirAll(dir, 0o777))
	testenv.Must(t, os.Chmod(dir, 0o777))
	sc := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: localClass},
		Provisioner:       "kubernetes.io/no-provisioner",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if err := n.Client.Create(ctx, sc); err != nil && !isAlreadyExists(err) {
		t.Fatal(err)
	}
	testenv.Must(t, n.Client.Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              localClass,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{n.Name}}},
			}}}},
		},
	}))
	return dir
}

// createWorkload writes known files into a fresh local PV and starts a pod
// that mounts it through a PVC; it returns the files' checksums.
func createWorkload(t *testing.T, n *node.Node, pauseImage string) map[string]string {
	t.Helper()
	ctx := context.Background()
	dir := createLocalPV(t, n, "shop-data")
	writeRandom(t, filepath.Join(dir, "blob.bin"), workloadMiB<<20)
	writeRandom(t, filepath.Join(dir, "nested", "part.bin"), 1<<20+123)
	testenv.Must(t, os.WriteFile(filepath.Join(dir, "nested", "README"), []byte("known content\n"), 0o644))
	sums := checksums(t, dir)
	testenv.Must(t, n.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNS}}))
	testenv.Must(t, n.Client.Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: appPVC, Namespace: appNS},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To(localClass),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}))
	waitServiceAccount(t, n, appNS)
	testenv.Must(t, n.Client.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: appPod, Namespace: appNS, Labels: map[string]string{"app": appPod}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "db", Image: pauseImage, ImagePullPolicy: corev1.PullNever,
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
			}},
			Volumes:                       []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: appPVC}}}},
			TerminationGracePeriodSeconds: ptr.To[int64](1),
		},
	}))
	return sums
}

func waitServiceAccount(t *testing.T, n *node.Node, ns string) {
	t.Helper()
	testenv.Eventually(t, 30e9, "service account default in "+ns, func() (bool, error) {
		err := n.Client.Get(context.Background(), keyOf(ns, "default"), &corev1.ServiceAccount{})
		return err == nil, err
	})
}

func writeRandom(t *testing.T, path string, size int) {
	t.Helper()
	testenv.Must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	b := make([]byte, size)
	_, _ = rand.Read(b)
	testenv.Must(t, os.WriteFile(path, b, 0o644))
}

// checksums maps every regular file below dir (relative path) to its SHA-256,
// ignoring Velero's own .velero marker directory.
func checksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	testenv.Must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && rel == ".velero" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	}))
	return out
}
