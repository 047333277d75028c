package node

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/node"
)

// scratchIsolated shows that the drill's deny-all NetworkPolicy holds on
// the node (its enforcer, internal/testenv/node/netpol.go): from the
// restored pod in scratch namespace scratch, no TCP connection reaches an
// address outside the namespace — a pod of another namespace (Velero's
// metrics port), a Service (the kubernetes Service's ClusterIP) and the S3
// server on the node's address — while the same connections from the live
// pod in the original namespace (no policy there) succeed, so what fails
// is the policy, not the network. It returns how long the restored pod
// took to run under the policy.
func scratchIsolated(t *testing.T, n *node.Node, r *release, scratch string) time.Duration {
	t.Helper()
	ctx := context.Background()
	c := n.Client
	figure(t, "NetworkPolicy enforcer start (node Ready to its chains hooked in)", enforcerStart(n))
	start := time.Now()
	testenv.Eventually(t, 3*time.Minute, "restored pod "+scratch+"/"+appPod+" running", func() (bool, error) {
		var p corev1.Pod
		if err := c.Get(ctx, keyOf(scratch, appPod), &p); err != nil {
			return false, err
		}
		return p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "", fmt.Errorf("phase %s, IP %q", p.Status.Phase, p.Status.PodIP)
	})
	testenv.Eventually(t, time.Minute, "the enforcer applies "+drill.PolicyName+" to "+scratch+"/"+appPod, func() (bool, error) {
		return n.PolicyEnforced(scratch, appPod, drill.PolicyName)
	})
	running := time.Since(start)

	var vpods corev1.PodList
	testenv.Must(t, c.List(ctx, &vpods, client.InNamespace(veleroNS), client.MatchingLabels{"deploy": "velero"}))
	if len(vpods.Items) != 1 || vpods.Items[0].Status.PodIP == "" {
		t.Fatalf("want one Velero pod with an IP, got %d", len(vpods.Items))
	}
	var kube corev1.Service
	testenv.Must(t, c.Get(ctx, keyOf("default", "kubernetes"), &kube))
	s3u, err := url.Parse(r.s3.Endpoint)
	testenv.Must(t, err)
	targets := []struct{ what, addr string }{
		{"Velero's pod (namespace " + veleroNS + ", metrics port)", net.JoinHostPort(vpods.Items[0].Status.PodIP, "8085")},
		{"the kubernetes Service", net.JoinHostPort(kube.Spec.ClusterIP, "443")},
		{"the S3 server on the node's address", s3u.Host},
	}
	live, err := n.PodNetNS(appNS, appPod)
	testenv.Must(t, err)
	fenced, err := n.PodNetNS(scratch, appPod)
	testenv.Must(t, err)
	for _, tg := range targets {
		if err := node.DialFrom(live, tg.addr, 10*time.Second); err != nil {
			t.Fatalf("control: from the live pod %s/%s, %s (%s) is unreachable: %v", appNS, appPod, tg.what, tg.addr, err)
		}
		err := node.DialFrom(fenced, tg.addr, 5*time.Second)
		if err == nil {
			t.Errorf("the restored pod %s/%s reached %s (%s): the NetworkPolicy does not hold", scratch, appPod, tg.what, tg.addr)
			continue
		}
		t.Logf("restored pod %s/%s → %s (%s): %v; from %s/%s: connected", scratch, appPod, tg.what, tg.addr, err, appNS, appPod)
	}
	return running
}

// enforcerStart is how long the node's start took from node Ready to the
// NetworkPolicy enforcer running (its Phases).
func enforcerStart(n *node.Node) time.Duration {
	var ready, running time.Duration
	for _, p := range n.Phases {
		switch p.Name {
		case "node Ready":
			ready = p.At
		case "NetworkPolicy enforcer running":
			running = p.At
		}
	}
	return running - ready
}
