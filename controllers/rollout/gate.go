package rollout

import (
	"context"
	"fmt"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// A cluster of a wave is healthy when the user cluster, read through the
// release loop's bounded client, shows the release it was moved to running:
//
//   - Deployment velero rolled out (observedGeneration current, every
//     replica updated and available: what `kubectl rollout status` waits
//     for) and its Available condition True;
//   - DaemonSet node-agent, when rendered, rolled out on its nodes (every
//     scheduled pod updated and available);
//   - the managed BackupStorageLocation in phase Available (Velero
//     validated the storage).
//
// It costs three GETs per cluster and poll; a failing Deployment or
// DaemonSet adds one bounded LIST of its pods to say why.

// Reasons a cluster fails its gate (the reason label of MetricGateFailures).
const (
	// ReasonImagePull: a container's image cannot be pulled.
	ReasonImagePull = "image-pull"
	// ReasonPodNotReady: pods do not become ready (crash loops, probes,
	// scheduling, or the rollout simply not done).
	ReasonPodNotReady = "pod-not-ready"
	// ReasonBSLUnavailable: Velero does not find the managed BSL's storage
	// usable.
	ReasonBSLUnavailable = "bsl-unavailable"
	// ReasonApplyRefused: the release loop could not apply the release.
	ReasonApplyRefused = "apply-refused"
	// ReasonNotApplied: the release loop has not applied the target yet.
	ReasonNotApplied = "not-applied"
	// ReasonUnreachable: the user cluster could not be read.
	ReasonUnreachable = "unreachable"
)

// Reasons lists every gate failure reason.
var Reasons = []string{ReasonImagePull, ReasonPodNotReady, ReasonBSLUnavailable, ReasonApplyRefused, ReasonNotApplied, ReasonUnreachable}

// Names of what the gate reads in the Velero namespace (the chart's).
const (
	deploymentName = renderer.VeleroDeploymentName
	daemonSetName  = renderer.NodeAgentDaemonSetName
)

// bslNames are the names the release loop gives the managed BSL, in the
// order the gate reads them (controllers/release: KKP's name for clusters
// it enables first, "default" for those it rendered before); the managed
// one is the default BSL (a KKP-era read-only BSL may carry KKP's name).
var bslNames = []string{kkpv1.KKPBSLName, "default"}

// maxPods bounds the pods listed to explain a failing workload.
const maxPods = 20

// imagePullReasons are container waiting reasons of an image that cannot
// be pulled.
var imagePullReasons = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true, "ErrImageNeverPull": true, "RegistryUnavailable": true}

// verdict is a gate's answer: healthy, or why not.
type verdict struct {
	healthy bool
	reason  string
	message string
}

func unhealthy(reason, format string, args ...any) verdict {
	return verdict{reason: reason, message: fmt.Sprintf(format, args...)}
}

// gate reads cluster health in namespace ns of user cluster uc.
func gate(ctx context.Context, uc client.Client, ns string) verdict {
	var d appsv1.Deployment
	if err := uc.Get(ctx, client.ObjectKey{Namespace: ns, Name: deploymentName}, &d); err != nil {
		return readFailure(err, "Deployment", ns, deploymentName)
	}
	if msg, ok := deploymentDone(&d); !ok {
		return explain(ctx, uc, ns, d.Spec.Selector, fmt.Sprintf("Deployment %s/%s: %s", ns, deploymentName, msg))
	}
	var ds appsv1.DaemonSet
	switch err := uc.Get(ctx, client.ObjectKey{Namespace: ns, Name: daemonSetName}, &ds); {
	case apierrors.IsNotFound(err): // node-agent not rendered
	case err != nil:
		return readFailure(err, "DaemonSet", ns, daemonSetName)
	default:
		if msg, ok := daemonSetDone(&ds); !ok {
			return explain(ctx, uc, ns, ds.Spec.Selector, fmt.Sprintf("DaemonSet %s/%s: %s", ns, daemonSetName, msg))
		}
	}
	var bsl velerov1.BackupStorageLocation
	bslName, found := "", false
	for _, name := range bslNames {
		if err := uc.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &bsl); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return readFailure(err, "BackupStorageLocation", ns, name)
		}
		if bslName, found = name, bsl.Spec.Default; found {
			break
		}
	}
	if !found {
		return unhealthy(ReasonBSLUnavailable, "no managed BackupStorageLocation (%s, the default) in %s", strings.Join(bslNames, " or "), ns)
	}
	if bsl.Status.Phase != velerov1.BackupStorageLocationPhaseAvailable {
		phase := string(bsl.Status.Phase)
		if phase == "" {
			phase = "not validated yet"
		}
		msg := fmt.Sprintf("BackupStorageLocation %s/%s: %s", ns, bslName, phase)
		if bsl.Status.Message != "" {
			msg += ": " + clip(bsl.Status.Message, 300)
		}
		return unhealthy(ReasonBSLUnavailable, "%s", msg)
	}
	return verdict{healthy: true}
}

// readFailure turns a failed read into a verdict.
func readFailure(err error, kind, ns, name string) verdict {
	if apierrors.IsNotFound(err) {
		return unhealthy(ReasonPodNotReady, "%s %s/%s not found", kind, ns, name)
	}
	return unhealthy(ReasonUnreachable, "read %s %s/%s: %s", kind, ns, name, clip(err.Error(), 300))
}

// deploymentDone reports whether a Deployment is rolled out and Available,
// and what is missing if not.
func deploymentDone(d *appsv1.Deployment) (string, bool) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return "rollout not observed yet", false
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want), false
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("%d old replicas pending termination", st.Replicas-st.UpdatedReplicas), false
	case st.AvailableReplicas < st.UpdatedReplicas:
		return fmt.Sprintf("%d of %d updated replicas available", st.AvailableReplicas, st.UpdatedReplicas), false
	}
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			if c.Status == corev1.ConditionTrue {
				return "", true
			}
			return "not Available: " + clip(c.Message, 200), false
		}
	}
	return "no Available condition", false
}

// daemonSetDone reports whether a DaemonSet is rolled out on its nodes.
func daemonSetDone(ds *appsv1.DaemonSet) (string, bool) {
	st := ds.Status
	switch {
	case st.ObservedGeneration < ds.Generation:
		return "rollout not observed yet", false
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		return fmt.Sprintf("%d of %d pods updated", st.UpdatedNumberScheduled, st.DesiredNumberScheduled), false
	case st.NumberAvailable < st.DesiredNumberScheduled:
		return fmt.Sprintf("%d of %d pods available", st.NumberAvailable, st.DesiredNumberScheduled), false
	}
	return "", true
}

// explain looks at a workload's pods (at most maxPods) for why it is not
// ready: an image that cannot be pulled, else a container's waiting or
// termination reason; summary says what the workload status shows.
func explain(ctx context.Context, uc client.Client, ns string, sel *metav1.LabelSelector, summary string) verdict {
	if sel == nil {
		return unhealthy(ReasonPodNotReady, "%s", summary)
	}
	ls, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return unhealthy(ReasonPodNotReady, "%s", summary)
	}
	var pods corev1.PodList
	if err := uc.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: ls}, client.Limit(maxPods)); err != nil {
		return unhealthy(ReasonPodNotReady, "%s (pods not read: %s)", summary, clip(err.Error(), 200))
	}
	var notReady []string
	for _, p := range pods.Items {
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			w := cs.State.Waiting
			if w != nil && imagePullReasons[w.Reason] {
				return unhealthy(ReasonImagePull, "%s; pod %s container %s: %s: image %s cannot be pulled%s", summary, p.Name, cs.Name, w.Reason, clip(cs.Image, 200), note(w.Message))
			}
			switch {
			case w != nil && w.Reason != "":
				notReady = append(notReady, fmt.Sprintf("pod %s container %s: %s%s", p.Name, cs.Name, w.Reason, note(w.Message)))
			case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
				notReady = append(notReady, fmt.Sprintf("pod %s container %s: terminated %s (exit %d)", p.Name, cs.Name, cs.State.Terminated.Reason, cs.State.Terminated.ExitCode))
			}
		}
	}
	if len(notReady) > 0 {
		return unhealthy(ReasonPodNotReady, "%s; %s", summary, strings.Join(notReady[:min(3, len(notReady))], "; "))
	}
	return unhealthy(ReasonPodNotReady, "%s", summary)
}

func note(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + clip(msg, 200) + ")"
}

// clip bounds text from a user cluster.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
