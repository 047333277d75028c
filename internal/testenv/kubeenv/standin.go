package kubeenv

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// StandIn plays, on a user cluster's bare kube-apiserver (no
// controller-manager, no node), what kube-controller-manager and the
// kubelet of one node would write: the status of Deployments and
// DaemonSets, from their pod templates. The node pulls every image but
// those of UnpullableRegistry: a template with such an image gets a Pod
// whose container waits in ErrImagePull and a workload status with one
// updated replica unavailable (the old one still serving), as the real
// controllers report it. With playVelero it also plays Velero's BSL
// controller (every BSL Available); without, a real Velero server writes
// the BSLs' status. Hold keeps its workloads from reporting the current
// template rolled out (a slow cluster). Health gates read exactly these
// fields, so a test can drive them honestly without pods.
type StandIn struct {
	// Hold, while true, keeps new templates from becoming available.
	Hold       atomic.Bool
	c          client.Client
	ns         string
	playVelero bool
}

// UnpullableRegistry is the registry the stand-in's node cannot pull from.
const UnpullableRegistry = "registry.invalid"

// StartStandIn runs a stand-in on c for namespace ns ("" all namespaces)
// every interval until the test ends.
func StartStandIn(t testenv.TB, c client.Client, ns string, playVelero bool, interval time.Duration) *StandIn {
	t.Helper()
	s := &StandIn{c: c, ns: ns, playVelero: playVelero}
	testenv.Every(t, interval, s.sync)
	return s
}

// pullable reports whether the node can pull every image of spec, and
// the first one it cannot.
func pullable(spec corev1.PodSpec) (string, bool) {
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		if strings.HasPrefix(c.Image, UnpullableRegistry+"/") {
			return c.Image, false
		}
	}
	return "", true
}

// sync writes every status once.
func (s *StandIn) sync(ctx context.Context) {
	var ds appsv1.DeploymentList
	if err := s.c.List(ctx, &ds, client.InNamespace(s.ns)); err == nil {
		for i := range ds.Items {
			s.deployment(ctx, &ds.Items[i])
		}
	}
	var dss appsv1.DaemonSetList
	if err := s.c.List(ctx, &dss, client.InNamespace(s.ns)); err == nil {
		for i := range dss.Items {
			s.daemonSet(ctx, &dss.Items[i])
		}
	}
	if !s.playVelero {
		return
	}
	var bsls velerov1.BackupStorageLocationList
	if err := s.c.List(ctx, &bsls, client.InNamespace(s.ns)); err == nil {
		for i := range bsls.Items {
			b := &bsls.Items[i]
			if b.Status.Phase != velerov1.BackupStorageLocationPhaseAvailable {
				b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
				now := metav1.Now()
				b.Status.LastValidationTime = &now
				_ = s.c.Update(ctx, b) // BSLs have no status subresource
			}
		}
	}
}

// deployment writes a Deployment's status.
func (s *StandIn) deployment(ctx context.Context, d *appsv1.Deployment) {
	r := int32(1)
	if d.Spec.Replicas != nil {
		r = *d.Spec.Replicas
	}
	st := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: r, UpdatedReplicas: r, ReadyReplicas: r, AvailableReplicas: r,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."}}}
	image, ok := pullable(d.Spec.Template.Spec)
	if !ok || s.Hold.Load() {
		// The new ReplicaSet's pod does not become ready; the old one serves.
		st.Replicas, st.UpdatedReplicas, st.UnavailableReplicas = r+1, 1, 1
	}
	if !ok {
		s.failingPod(ctx, d.Namespace, d.Name, d.Spec.Selector, d.Spec.Template.Spec, image)
	}
	if !equalStatus(d.Status, st) {
		d.Status = st
		_ = s.c.Status().Update(ctx, d)
	}
}

// daemonSet writes a DaemonSet's status.
func (s *StandIn) daemonSet(ctx context.Context, d *appsv1.DaemonSet) {
	st := appsv1.DaemonSetStatus{ObservedGeneration: d.Generation, CurrentNumberScheduled: 1, DesiredNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1}
	image, ok := pullable(d.Spec.Template.Spec)
	if !ok || s.Hold.Load() {
		st.NumberReady, st.NumberAvailable, st.NumberUnavailable = 0, 0, 1
	}
	if !ok {
		s.failingPod(ctx, d.Namespace, d.Name, d.Spec.Selector, d.Spec.Template.Spec, image)
	}
	if !reflect.DeepEqual(d.Status, st) {
		d.Status = st
		_ = s.c.Status().Update(ctx, d)
	}
}

// failingPod writes the pod the kubelet cannot start: its first container
// waits in ErrImagePull.
func (s *StandIn) failingPod(ctx context.Context, ns, owner string, sel *metav1.LabelSelector, spec corev1.PodSpec, image string) {
	if sel == nil {
		return
	}
	name := owner + "-bad"
	var p corev1.Pod
	err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p)
	if apierrors.IsNotFound(err) {
		p = corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: sel.MatchLabels}, Spec: *spec.DeepCopy()}
		p.Spec.NodeName = "node-1"
		if err := s.c.Create(ctx, &p); err != nil {
			return
		}
	} else if err != nil {
		return
	}
	c := p.Spec.Containers[0]
	want := []corev1.ContainerStatus{{Name: c.Name, Image: image, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
		Reason: "ErrImagePull", Message: "failed to pull and unpack image \"" + image + "\": failed to resolve reference: no such host"}}}}
	if len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Image == image {
		return
	}
	p.Status.Phase, p.Status.ContainerStatuses = corev1.PodPending, want
	_ = s.c.Status().Update(ctx, &p)
}

// equalStatus compares what the stand-in writes of a Deployment status.
func equalStatus(a, b appsv1.DeploymentStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || a.Replicas != b.Replicas || a.UpdatedReplicas != b.UpdatedReplicas ||
		a.ReadyReplicas != b.ReadyReplicas || a.AvailableReplicas != b.AvailableReplicas || a.UnavailableReplicas != b.UnavailableReplicas || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		if a.Conditions[i].Type != b.Conditions[i].Type || a.Conditions[i].Status != b.Conditions[i].Status {
			return false
		}
	}
	return true
}
