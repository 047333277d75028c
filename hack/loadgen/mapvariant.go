package main

import (
	"context"
	"fmt"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// registerMAPVariant installs the "oursmap" variant: Backup defaults from the
// chart's MutatingAdmissionPolicy (in-process CEL, no network hop) and only
// our validating webhook, i.e. one TLS hop per create like the one-hook floor.
func registerMAPVariant(ctx context.Context, c *cluster, oursURL string, oursCA []byte) error {
	fleet, err := renderer.LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		return err
	}
	r, err := renderer.NewSingle(renderer.Options{Values: map[string]any{
		"admissionPolicies": map[string]any{"mutating": map[string]any{"enabled": true}, "validating": map[string]any{"enabled": false}},
	}})
	if err != nil {
		return err
	}
	res, err := r.Render(ctx, fleet[0])
	if err != nil {
		return err
	}
	objs, err := res.Objects()
	if err != nil {
		return err
	}
	var picked []*unstructured.Unstructured
	for _, o := range objs {
		switch {
		case o.GetKind() == "ConfigMap" && o.GetName() == "clusterbackup-admission-params",
			o.GetKind() == "MutatingAdmissionPolicy" && o.GetName() == "clusterbackup-backups-defaults":
			picked = append(picked, o)
		case o.GetKind() == "MutatingAdmissionPolicyBinding" && o.GetName() == "clusterbackup-backups-defaults":
			sel := map[string]any{"matchLabels": map[string]any{abLabel: "oursmap"}}
			if err := unstructured.SetNestedField(o.Object, sel, "spec", "matchResources", "objectSelector"); err != nil {
				return err
			}
			picked = append(picked, o)
		}
	}
	if len(picked) != 3 {
		return fmt.Errorf("the chart rendered %d of the 3 defaulting objects", len(picked))
	}
	_, vwc := user.Configurations(user.ConfigurationOptions{Name: "oursmap", URL: oursURL, CABundle: oursCA,
		ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{abLabel: "oursmap"}}})
	for _, o := range append(picked, toUnstructured(vwc)) {
		if err := c.kube.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("register %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	// Policies take effect asynchronously: wait until a dry-run create is defaulted.
	for i := 0; i < 100; i++ {
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "probe-map", Namespace: "velero", Labels: map[string]string{abLabel: "oursmap"}}}
		if err := c.kube.Client.Create(ctx, b, client.DryRunAll); err == nil && b.Spec.TTL.Duration == 720*time.Hour {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the Backup defaulting policy was not in effect after 10s")
}

func toUnstructured(o client.Object) *unstructured.Unstructured {
	m, err := runtimeToMap(o)
	if err != nil {
		panic(err) // typed API objects always convert
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("admissionregistration.k8s.io/v1")
	u.SetKind("ValidatingWebhookConfiguration")
	return u
}

func runtimeToMap(o client.Object) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(o)
}
