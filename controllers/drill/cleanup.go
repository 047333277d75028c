package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	core "github.com/clusterbackup/clusterbackup/internal/drill"
)

// Cleanup deletes every object a drill left in a user cluster, found by
// label (core.Label): Restores and the modifiers ConfigMaps in the Velero
// namespace, and scratch namespaces (labelled and named drill-*: a
// namespace carrying only the label is not ours). With wait > 0 it waits up
// to wait for the namespaces to be gone; gone reports whether they are.
// Nothing else is touched.
func Cleanup(ctx context.Context, user client.Client, veleroNS string, wait time.Duration) (gone bool, err error) {
	sel := client.MatchingLabels(core.Selector())
	var rs velerov1.RestoreList
	if err := user.List(ctx, &rs, client.InNamespace(veleroNS), sel); err != nil {
		return false, fmt.Errorf("list drill restores: %w", err)
	}
	for i := range rs.Items {
		if err := user.Delete(ctx, &rs.Items[i]); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("delete restore %s: %w", rs.Items[i].Name, err)
		}
	}
	var cms corev1.ConfigMapList
	if err := user.List(ctx, &cms, client.InNamespace(veleroNS), sel); err != nil {
		return false, fmt.Errorf("list drill configmaps: %w", err)
	}
	for i := range cms.Items {
		if err := user.Delete(ctx, &cms.Items[i]); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("delete configmap %s: %w", cms.Items[i].Name, err)
		}
	}
	left, err := scratchNamespaces(ctx, user, true)
	if err != nil || len(left) == 0 {
		return err == nil, err
	}
	if wait <= 0 {
		return false, nil
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(time.Second):
		}
		if left, err = scratchNamespaces(ctx, user, false); err == nil && len(left) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// scratchNamespaces lists the drill namespaces; with del it deletes those
// not yet terminating.
func scratchNamespaces(ctx context.Context, user client.Client, del bool) ([]string, error) {
	var nss corev1.NamespaceList
	if err := user.List(ctx, &nss, client.MatchingLabels(core.Selector())); err != nil {
		return nil, fmt.Errorf("list drill namespaces: %w", err)
	}
	var left []string
	for i := range nss.Items {
		ns := &nss.Items[i]
		if !strings.HasPrefix(ns.Name, core.NamePrefix) {
			continue
		}
		left = append(left, ns.Name)
		if del && ns.DeletionTimestamp == nil {
			if err := user.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("delete namespace %s: %w", ns.Name, err)
			}
		}
	}
	return left, nil
}
