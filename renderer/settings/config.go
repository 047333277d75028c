package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"sigs.k8s.io/yaml"
)

// RenderConfig document identity: the Argo CD marker file clusterbackup.yaml,
// the KRM functionConfig and the seed's release render configuration are
// such a document, with the parameters under spec. A KRM functionConfig may
// also be a v1 ConfigMap with the parameters under data.
const (
	ConfigAPIVersion = "clusterbackup.io/v1alpha1"
	ConfigKind       = "RenderConfig"
)

// configDoc is a RenderConfig or a ConfigMap.
type configDoc struct {
	APIVersion string                     `json:"apiVersion"`
	Kind       string                     `json:"kind"`
	Spec       map[string]json.RawMessage `json:"spec"`
	Data       map[string]string          `json:"data"`
}

// ApplyConfig sets the parameters of a RenderConfig (YAML or JSON) or, when
// allowConfigMap, of a v1 ConfigMap's data. source names the document in
// errors. An empty document sets nothing.
func (p *Params) ApplyConfig(source string, doc []byte, allowConfigMap bool) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fmt.Errorf("%s: invalid YAML: %w", source, err)
	}
	if string(j) == "null" {
		return nil
	}
	var d configDoc
	if err := json.Unmarshal(j, &d); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	switch {
	case d.APIVersion == ConfigAPIVersion && d.Kind == ConfigKind:
		keys := make([]string, 0, len(d.Spec))
		for k := range d.Spec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, isList, err := scalarOrList(d.Spec[k])
			if err != nil {
				return fmt.Errorf("%s: spec.%s: %w", source, k, err)
			}
			src := source + ": spec." + k
			if !isList {
				err = p.SetString(src, k, vals[0])
			} else {
				err = p.Set(src, k, vals...)
			}
			if err != nil {
				return err
			}
		}
	case allowConfigMap && d.APIVersion == "v1" && d.Kind == "ConfigMap":
		keys := make([]string, 0, len(d.Data))
		for k := range d.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := p.SetString(source+": data."+k, k, d.Data[k]); err != nil {
				return err
			}
		}
	default:
		want := ConfigAPIVersion + " " + ConfigKind
		if allowConfigMap {
			want += " or v1 ConfigMap"
		}
		return fmt.Errorf("%s: kind %q of %q is not a render configuration; expected %s", source, d.Kind, d.APIVersion, want)
	}
	return nil
}

// scalarOrList decodes a string, boolean, number or a list of them.
func scalarOrList(raw json.RawMessage) (vals []string, isList bool, err error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		out := make([]string, 0, len(list))
		for _, r := range list {
			s, err := scalar(r)
			if err != nil {
				return nil, true, err
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, false, err
	}
	return []string{s}, false, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case json.Number:
		return t.String(), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("must be a string, boolean, number or a list of them")
}
