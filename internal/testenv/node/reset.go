package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// resetKinds are the cluster-scoped kinds tests create on a node (besides
// Namespaces): Reset deletes the objects of these kinds that were not there
// when the node became Ready.
var resetKinds = []schema.GroupVersionKind{
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicyBinding"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicy"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "MutatingAdmissionPolicyBinding"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "MutatingAdmissionPolicy"},
	{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"},
	{Group: "storage.k8s.io", Version: "v1", Kind: "StorageClass"},
	{Group: "", Version: "v1", Kind: "PersistentVolume"},
	{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"},
}

// baseline is what a node held when it became Ready: Namespaces, and the
// objects of resetKinds, by kind.
type baseline map[string]map[string]bool

// snapshot lists the Namespaces and the objects of resetKinds.
func (n *Node) snapshot(ctx context.Context) (baseline, error) {
	b := baseline{}
	for _, gvk := range append([]schema.GroupVersionKind{{Version: "v1", Kind: "Namespace"}}, resetKinds...) {
		var l unstructured.UnstructuredList
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := n.Client.List(ctx, &l); err != nil {
			return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
		}
		names := map[string]bool{}
		for _, o := range l.Items {
			names[o.GetName()] = true
		}
		b[gvk.Kind] = names
	}
	return b, nil
}

// Reset brings the node back to what it held when it became Ready, so the
// next test can use it instead of starting a node of its own. First what
// the test runs stops: the workloads and Pods of every Namespace created
// since, through the kubelet, so no controller of the test writes again.
// Then the webhook configurations created since go (their Pods are gone),
// the Namespaces, and last the other cluster-scoped objects of the kinds
// tests create (admission policies, RBAC, storage, CRDs; custom resources'
// finalizers are removed once their controllers are gone); the local
// volumes' directories under Dir/pv are emptied. It waits until the deleted
// objects are gone.
func (n *Node) Reset(ctx context.Context, timeout time.Duration) error {
	if n.base == nil {
		return errors.New("reset: the node has no baseline (it did not become Ready)")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	n.ResetSteps = nil
	step := func(what string) { n.ResetSteps = append(n.ResetSteps, Phase{what, time.Since(t0)}) }
	before, err := n.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	var nss []string
	for name := range before["Namespace"] {
		if !n.base["Namespace"][name] {
			nss = append(nss, name)
		}
	}
	// Stop what runs first, so nothing recreates what the reset deletes:
	// the workload controllers and Pods go from the API at once (no grace
	// period), and their containers are killed through containerd, so no
	// process of the test writes again (a force-deleted Pod's container
	// would otherwise run on for its grace period).
	for _, ns := range nss {
		for _, obj := range []client.Object{&appsv1.Deployment{}, &appsv1.DaemonSet{}, &appsv1.StatefulSet{}, &appsv1.ReplicaSet{}, &batchv1.Job{}, &batchv1.CronJob{}, &corev1.Pod{}} {
			opts := []client.DeleteAllOfOption{client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground)}
			if _, pod := obj.(*corev1.Pod); pod {
				opts = append(opts, client.GracePeriodSeconds(0))
			}
			if err := n.Client.DeleteAllOf(ctx, obj, opts...); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("reset: delete the %T of namespace %s: %w", obj, ns, err)
			}
		}
		if err := n.killPodContainers(ns); err != nil {
			return err
		}
	}
	step("pods stopped")
	// What to delete is read once nothing of the test runs any more.
	now, err := n.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	// Webhooks next: one whose Pods are gone would refuse the deletions
	// below (failurePolicy Fail). Admission policies stay until the
	// namespaces are gone: the API server reads their parameters through an
	// informer that goes with the last binding, and one stopped before the
	// parameters' deletion kept serving them to the next test's policies.
	for _, gvk := range resetKinds[:2] {
		if err := n.deleteNew(ctx, gvk, now); err != nil {
			return err
		}
	}
	for _, ns := range nss {
		o := &corev1.Namespace{}
		o.Name = ns
		if err := n.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("reset: delete namespace %s: %w", ns, err)
		}
	}
	if err := n.waitGone(ctx, now, "Namespace"); err != nil {
		return err
	}
	step("namespaces gone")
	var rest []string
	for _, gvk := range resetKinds[2:] {
		if err := n.deleteNew(ctx, gvk, now); err != nil {
			return err
		}
		rest = append(rest, gvk.Kind)
	}
	if err := n.waitGone(ctx, now, rest...); err != nil {
		return err
	}
	step("cluster-scoped objects gone")
	if err := os.RemoveAll(filepath.Join(n.Dir, "pv")); err != nil {
		return fmt.Errorf("reset: empty the local volumes: %w", err)
	}
	// The enforcer drops the rules of the deleted Pods and policies itself
	// (each deletion triggers its full sync); it must still run.
	if p := n.procs[netpolTool]; p == nil {
		return errors.New("reset: the NetworkPolicy enforcer was never started")
	} else if p.exited() {
		return fmt.Errorf("reset: the NetworkPolicy enforcer exited:\n%s", p.logTail(20))
	}
	return nil
}

// killPodContainers kills (SIGKILL) every running container of the Pods of
// namespace ns, found by the label the kubelet gives them in containerd.
// The kubelet removes the containers and sandboxes as usual.
func (n *Node) killPodContainers(ns string) error {
	out, err := n.ctr("containers", "ls", "-q", `labels."io.kubernetes.pod.namespace"==`+ns)
	if err != nil {
		return fmt.Errorf("reset: list the containers of namespace %s: %w", ns, err)
	}
	for _, id := range strings.Fields(string(out)) {
		// A container that exited already has no task: nothing to kill.
		_, _ = n.ctr("tasks", "kill", "--signal", "SIGKILL", id)
	}
	return nil
}

// waitGone waits until no object of kinds is left that the baseline does
// not hold, removing the finalizers of custom resources being deleted after
// a few seconds (the controllers that would remove them are gone).
func (n *Node) waitGone(ctx context.Context, now baseline, kinds ...string) error {
	started := time.Now()
	for {
		if time.Since(started) > 3*time.Second {
			if err := n.unblock(ctx, now); err != nil {
				return err
			}
		}
		left, err := n.snapshot(ctx)
		if err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		var remaining []string
		for _, kind := range kinds {
			for name := range left[kind] {
				if !n.base[kind][name] {
					remaining = append(remaining, kind+"/"+name)
				}
			}
		}
		if len(remaining) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reset: still there: %v", remaining)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// unblock removes the finalizers of the custom resources being deleted, of
// every CRD created since the baseline.
func (n *Node) unblock(ctx context.Context, now baseline) error {
	for name := range now["CustomResourceDefinition"] {
		if n.base["CustomResourceDefinition"][name] {
			continue
		}
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
		if err := n.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reset: read CRD %s: %w", name, err)
		}
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		listKind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "listKind")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, raw := range versions {
			v, _ := raw.(map[string]any)
			if storage, _ := v["storage"].(bool); !storage {
				continue
			}
			version, _ := v["name"].(string)
			var l unstructured.UnstructuredList
			l.SetGroupVersionKind(schema.GroupVersionKind{Group: group, Version: version, Kind: listKind})
			if err := n.Client.List(ctx, &l); err != nil {
				continue // the CRD is going away
			}
			for i := range l.Items {
				o := &l.Items[i]
				if o.GetDeletionTimestamp() == nil || len(o.GetFinalizers()) == 0 {
					continue
				}
				patch := client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`))
				if err := n.Client.Patch(ctx, o, patch); err != nil && !apierrors.IsNotFound(err) {
					return fmt.Errorf("reset: drop the finalizers of %s %s: %w", kind, o.GetName(), err)
				}
			}
		}
	}
	return nil
}

// deleteNew deletes the objects of gvk that are in now but not in the
// baseline; for a PersistentVolume it drops its finalizers too (its claim
// went with its namespace).
func (n *Node) deleteNew(ctx context.Context, gvk schema.GroupVersionKind, now baseline) error {
	for name := range now[gvk.Kind] {
		if n.base[gvk.Kind][name] {
			continue
		}
		o := &unstructured.Unstructured{}
		o.SetGroupVersionKind(gvk)
		o.SetName(name)
		if err := n.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("reset: delete %s %s: %w", gvk.Kind, name, err)
		}
		if gvk.Kind == "PersistentVolume" {
			patch := client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`))
			if err := n.Client.Patch(ctx, o, patch); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("reset: drop the finalizers of PersistentVolume %s: %w", name, err)
			}
		}
	}
	return nil
}
