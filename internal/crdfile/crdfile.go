// Package crdfile writes Velero CRDs the way clusterbackup ships them: status
// cleared, the managed-by label, and the annotations that keep Helm, Argo CD
// and Flux from ever deleting them (deleting a CRD deletes every Backup).
// hack/gencrds (the chart's CRDs) and hack/genprevcrds (an earlier release's,
// for the upgrade test) share it.
package crdfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// KeepAnnotations stop Helm, Argo CD and Flux from pruning a CRD; they also
// put CRDs first in Argo CD's sync order and apply them server-side.
var KeepAnnotations = map[string]string{
	"helm.sh/resource-policy":           "keep",
	"argocd.argoproj.io/sync-options":   "Prune=false,ServerSideApply=true",
	"argocd.argoproj.io/sync-wave":      "-10",
	"kustomize.toolkit.fluxcd.io/prune": "disabled",
}

// Write writes each CRD to dir/velero.io_<plural>.yaml, starting with header,
// with the status cleared, KeepAnnotations and the managed-by label set.
// The CRDs passed in are not modified.
func Write(dir, header string, crds []*apiextv1.CustomResourceDefinition) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, crd := range crds {
		c := crd.DeepCopy()
		c.APIVersion, c.Kind = "apiextensions.k8s.io/v1", "CustomResourceDefinition"
		c.Status = apiextv1.CustomResourceDefinitionStatus{}
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		for k, v := range KeepAnnotations {
			c.Annotations[k] = v
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels["app.kubernetes.io/managed-by"] = "clusterbackup"
		b, err := yaml.Marshal(c)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", c.Name, err)
		}
		b = bytes.ReplaceAll(b, []byte("  creationTimestamp: null\n"), nil)
		name := filepath.Join(dir, "velero.io_"+c.Spec.Names.Plural+".yaml")
		if err := os.WriteFile(name, append([]byte(header), b...), 0o644); err != nil {
			return err
		}
	}
	return nil
}
