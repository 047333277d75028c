// Command kubeconform-schemas writes JSON schemas for kubeconform from local
// sources only: the built-in kinds from a Kubernetes swagger.json (the one in
// the k8s.io/kubernetes module, api/openapi-spec/swagger.json) and custom
// resources from CRD YAML files. Files are named the way kubeconform's
// default layout expects, so a run uses
//
//	kubeconform -strict -schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'
//
// i.e. {kind}-{first group segment}-{version}.json, lowercase
// (deployment-apps-v1.json, backupstoragelocation-velero-v1.json), and
// {kind}-{version}.json for the core group (configmap-v1.json).
//
// The schemas are strict: every object with declared properties refuses
// unknown ones (unless it preserves unknown fields), so `kubeconform -strict`
// catches misspelt fields. Each file is standalone: referenced definitions
// are copied into its "definitions".
//
// Usage: go run ./hack/kubeconform-schemas -swagger PATH -crds DIR[,DIR] -out DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	swagger := flag.String("swagger", "", "Kubernetes swagger.json (required)")
	crds := flag.String("crds", "", "comma-separated directories of CRD YAML files")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if *swagger == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	var dirs []string
	if *crds != "" {
		dirs = strings.Split(*crds, ",")
	}
	n, err := run(*swagger, dirs, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconform-schemas:", err)
		os.Exit(1)
	}
	fmt.Printf("kubeconform-schemas: wrote %d schemas to %s\n", n, *out)
}

func run(swaggerPath string, crdDirs []string, out string) (int, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	files := map[string]any{}
	if err := builtin(swaggerPath, files); err != nil {
		return 0, err
	}
	for _, d := range crdDirs {
		if err := crds(d, files); err != nil {
			return 0, err
		}
	}
	for name, schema := range files {
		b, err := json.Marshal(schema)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

// fileName is kubeconform's {kind}{kindSuffix}.json.
func fileName(group, version, kind string) string {
	suffix := "-" + strings.ToLower(version)
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0]) + suffix
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// builtin converts every definition with an x-kubernetes-group-version-kind.
func builtin(path string, files map[string]any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	names := make([]string, 0, len(doc.Definitions))
	for n := range doc.Definitions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		def := doc.Definitions[name]
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		if len(gvks) != 1 { // none: not a kind; several: DeleteOptions and friends
			continue
		}
		gvk := gvks[0].(map[string]any)
		group, _ := gvk["group"].(string)
		version, _ := gvk["version"].(string)
		kind, _ := gvk["kind"].(string)
		used := map[string]bool{}
		collectRefs(def, doc.Definitions, used)
		defs := map[string]any{}
		for u := range used {
			defs[u] = convertSwagger(u, doc.Definitions[u])
		}
		root := convertSwagger(name, def).(map[string]any)
		root["type"] = "object"
		if len(defs) > 0 {
			root["definitions"] = defs
		}
		files[fileName(group, version, kind)] = root
	}
	return nil
}

// collectRefs adds every definition s refers to, transitively.
func collectRefs(s any, all map[string]map[string]any, used map[string]bool) {
	switch t := s.(type) {
	case map[string]any:
		for k, v := range t {
			if ref, ok := v.(string); ok && k == "$ref" {
				name := strings.TrimPrefix(ref, "#/definitions/")
				if !used[name] {
					used[name] = true
					collectRefs(all[name], all, used)
				}
				continue
			}
			collectRefs(v, all, used)
		}
	case []any:
		for _, v := range t {
			collectRefs(v, all, used)
		}
	}
}

const quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"

// convertSwagger turns a swagger 2.0 schema into a strict JSON schema: types
// also admit null (optional fields may be written as null), int-or-string
// and quantities admit numbers, descriptions are dropped, and objects with
// properties refuse unknown ones.
func convertSwagger(name string, s any) any {
	switch t := s.(type) {
	case map[string]any:
		if name == quantity {
			return map[string]any{"type": []any{"string", "number", "null"}}
		}
		if t["format"] == "int-or-string" {
			return map[string]any{"type": []any{"string", "integer", "null"}}
		}
		out := map[string]any{}
		for k, v := range t {
			switch {
			case k == "description" || strings.HasPrefix(k, "x-kubernetes-"):
			case k == "properties":
				props := map[string]any{}
				for pn, pv := range v.(map[string]any) {
					props[pn] = convertSwagger("", pv)
				}
				out[k] = props
			case k == "type":
				if ts, ok := v.(string); ok {
					out[k] = []any{ts, "null"}
				} else {
					out[k] = v
				}
			default:
				out[k] = convertSwagger("", v)
			}
		}
		strict(out, t["x-kubernetes-preserve-unknown-fields"] == true)
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = convertSwagger("", v)
		}
		return out
	}
	return s
}

// strict makes an object with properties refuse unknown ones.
func strict(s map[string]any, preserveUnknown bool) {
	if _, ok := s["properties"]; ok && !preserveUnknown {
		if _, set := s["additionalProperties"]; !set {
			s["additionalProperties"] = false
		}
	}
}

// crds converts the openAPIV3Schema of every version of every CRD in dir.
func crds(dir string, files map[string]any) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%s: no CRD files", dir)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Schema.OpenAPIV3Schema == nil {
				return fmt.Errorf("%s: version %s has no schema", p, v.Name)
			}
			root := convertCRD(v.Schema.OpenAPIV3Schema).(map[string]any)
			files[fileName(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)] = root
		}
	}
	return nil
}

// convertCRD turns a structural CRD schema into a strict JSON schema:
// nullable admits null, x-kubernetes-int-or-string admits both, and objects
// with properties refuse unknown ones unless they preserve unknown fields.
func convertCRD(s any) any {
	switch t := s.(type) {
	case map[string]any:
		if t["x-kubernetes-int-or-string"] == true {
			return map[string]any{"type": []any{"string", "integer"}}
		}
		out := map[string]any{}
		for k, v := range t {
			switch {
			case k == "description" || k == "nullable" || strings.HasPrefix(k, "x-kubernetes-"):
			case k == "properties":
				props := map[string]any{}
				for pn, pv := range v.(map[string]any) {
					props[pn] = convertCRD(pv)
				}
				out[k] = props
			case k == "type" && t["nullable"] == true:
				out[k] = []any{v, "null"}
			default:
				out[k] = convertCRD(v)
			}
		}
		strict(out, t["x-kubernetes-preserve-unknown-fields"] == true)
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = convertCRD(v)
		}
		return out
	}
	return s
}
