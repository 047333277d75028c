package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// ResourceList identity (KRM functions specification).
const (
	ResourceListAPIVersion = "config.kubernetes.io/v1"
	ResourceListKind       = "ResourceList"
)

// KRM result severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// ResourceList is a KRM function's input and output. Items and the
// functionConfig stay raw JSON, so items the function passes through keep
// every field (and kustomize's annotations) as they came.
type ResourceList struct {
	APIVersion     string            `json:"apiVersion"`
	Kind           string            `json:"kind"`
	Items          []json.RawMessage `json:"items"`
	FunctionConfig json.RawMessage   `json:"functionConfig,omitempty"`
	Results        []Result          `json:"results,omitempty"`
}

// Result is one KRM result.
type Result struct {
	Message     string       `json:"message"`
	Severity    string       `json:"severity"`
	ResourceRef *ResourceRef `json:"resourceRef,omitempty"`
	Field       *Field       `json:"field,omitempty"`
}

// ResourceRef names the object a Result is about.
type ResourceRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

// Field names the field a Result is about.
type Field struct {
	Path string `json:"path"`
}

// ParseResourceList decodes a ResourceList (YAML or JSON).
func ParseResourceList(b []byte) (*ResourceList, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("read ResourceList: invalid YAML: %w", err)
	}
	var rl ResourceList
	if err := json.Unmarshal(j, &rl); err != nil {
		return nil, fmt.Errorf("read ResourceList: %w", err)
	}
	if rl.Kind != ResourceListKind || (rl.APIVersion != ResourceListAPIVersion && rl.APIVersion != "config.kubernetes.io/v1alpha1") {
		return nil, fmt.Errorf("read ResourceList: got kind %q of %q, want %s %s on standard input", rl.Kind, rl.APIVersion, ResourceListAPIVersion, ResourceListKind)
	}
	return &rl, nil
}

// YAML encodes the list.
func (rl *ResourceList) YAML() ([]byte, error) {
	j, err := json.Marshal(rl)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(j)
}

// itemHeader is what sorting items into inputs needs.
type itemHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Credential *struct {
			Name string `json:"name"`
		} `json:"credential"`
	} `json:"spec"`
}

func (h itemHeader) isInput() bool {
	return h.APIVersion == kkpv1.GroupVersion.String() && (h.Kind == kkpv1.KindCluster || h.Kind == kkpv1.KindClusterBackupStorageLocation)
}

func (h itemHeader) isSecret() bool { return h.APIVersion == "v1" && h.Kind == "Secret" }

// source names an item in errors: kustomize's path annotation when present.
func (h itemHeader) source(i int) string {
	for _, a := range []string{"internal.config.kubernetes.io/path", "config.kubernetes.io/path"} {
		if p := h.Metadata.Annotations[a]; p != "" {
			return fmt.Sprintf("items[%d] (%s)", i, p)
		}
	}
	return fmt.Sprintf("items[%d]", i)
}

// RunKRM is the KRM function: it reads the parameters from the
// functionConfig (a RenderConfig or a ConfigMap), takes the Clusters,
// ClusterBackupStorageLocations and their credential Secrets among the items
// as inputs, renders the selected cluster and returns the list with the
// inputs replaced by the rendered objects (other items pass through). It
// adds an info result for the rendered cluster and a warning result per
// access key that several clusters share. On failure it returns the input
// list unchanged with error results, and the error.
func RunKRM(ctx context.Context, rl *ResourceList) (*ResourceList, error) {
	out := &ResourceList{APIVersion: ResourceListAPIVersion, Kind: ResourceListKind, Items: rl.Items, FunctionConfig: rl.FunctionConfig}
	fail := func(err error) (*ResourceList, error) {
		out.Items = rl.Items
		out.Results = append(out.Results, errorResults(err)...)
		return out, err
	}

	var p settings.Params
	if len(rl.FunctionConfig) > 0 && string(rl.FunctionConfig) != "null" {
		if err := p.ApplyConfig("functionConfig", rl.FunctionConfig, true); err != nil {
			return fail(err)
		}
	}
	if p.IsSet(settings.ParamInputs) {
		return fail(fmt.Errorf("%s: parameter %q applies to the Argo CD plugin only; a KRM function's inputs are its items", p.Source(settings.ParamInputs), settings.ParamInputs))
	}

	objs := &input.Objects{}
	headers := make([]itemHeader, len(rl.Items))
	credNames := map[string]bool{} // namespace/name of CBSL credential Secrets
	for i, item := range rl.Items {
		h := &headers[i]
		if err := json.Unmarshal(item, h); err != nil {
			return fail(fmt.Errorf("items[%d]: %w", i, err))
		}
		if !h.isInput() && !h.isSecret() {
			continue
		}
		if err := objs.Parse(h.source(i), bytes.NewReader(item)); err != nil {
			return fail(err)
		}
		if h.Kind == kkpv1.KindClusterBackupStorageLocation && h.Spec.Credential != nil {
			credNames[h.Metadata.Namespace+"/"+h.Spec.Credential.Name] = true
		}
	}
	fleet, err := renderer.BuildFleet(objs)
	if err != nil {
		return fail(err)
	}
	res, err := Render(ctx, fleet, objs.CBSLs, &p)
	if err != nil {
		return fail(err)
	}

	items := make([]json.RawMessage, 0, len(rl.Items)+len(res.Manifests))
	for i, item := range rl.Items {
		h := headers[i]
		if h.isInput() {
			continue
		}
		if h.isSecret() && (credNames[h.Metadata.Namespace+"/"+h.Metadata.Name] || h.Metadata.Namespace == "" && anyName(credNames, h.Metadata.Name)) {
			continue
		}
		items = append(items, item)
	}
	for i := range res.Manifests {
		j, err := res.Manifests[i].JSON()
		if err != nil {
			return fail(err)
		}
		items = append(items, j)
	}
	out.Items = items
	for _, s := range renderer.SharedCredentials(fleet) {
		out.Results = append(out.Results, Result{Severity: SeverityWarning, Message: s.String()})
	}
	pfx, _ := res.Input.Prefix()
	out.Results = append(out.Results, Result{
		Severity:    SeverityInfo,
		Message:     fmt.Sprintf("rendered cluster %s (project %s): %d objects, backups under prefix %q", res.ClusterID(), res.Input.ProjectID(), len(res.Manifests), pfx),
		ResourceRef: &ResourceRef{APIVersion: kkpv1.GroupVersion.String(), Kind: kkpv1.KindCluster, Name: res.ClusterID()},
	})
	return out, nil
}

// anyName reports whether a "namespace/name" key with this name exists.
func anyName(keys map[string]bool, name string) bool {
	for k := range keys {
		if _, n, _ := strings.Cut(k, "/"); n == name {
			return true
		}
	}
	return false
}

// errorResults turns an error into error results: one per broken field rule
// of an input object (with the object and the field), one per other error.
func errorResults(err error) []Result {
	var out []Result
	var walk func(error)
	walk = func(err error) {
		if ie := (*renderer.InputError)(nil); errors.As(err, &ie) {
			ns, name, found := strings.Cut(ie.Name, "/")
			if !found {
				ns, name = "", ie.Name
			}
			for _, fe := range ie.Errs {
				msg := fe.ErrorBody()
				if ie.Source != "" {
					msg = ie.Source + ": " + msg
				}
				out = append(out, Result{
					Severity:    SeverityError,
					Message:     msg,
					ResourceRef: &ResourceRef{APIVersion: kkpv1.GroupVersion.String(), Kind: ie.Kind, Name: name, Namespace: ns},
					Field:       &Field{Path: fe.Field},
				})
			}
			return
		}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, Result{Severity: SeverityError, Message: err.Error()})
	}
	walk(err)
	return out
}
