package gitops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/clusterbackup/clusterbackup/renderer/settings"
)

// Argo CD environment variables the plugin reads.
const (
	EnvAppParameters   = "ARGOCD_APP_PARAMETERS"
	EnvKubeVersion     = "KUBE_VERSION"
	EnvKubeAPIVersions = "KUBE_API_VERSIONS"
	EnvAppSourcePath   = "ARGOCD_APP_SOURCE_PATH"
	EnvAppName         = "ARGOCD_APP_NAME"
	envPrefix          = "ARGOCD_ENV_"
	paramPrefix        = "PARAM_"
)

// ApplyArgoCDCluster sets p's kubeVersion and apiVersions from KUBE_VERSION and
// KUBE_API_VERSIONS, which Argo CD sets from the destination cluster. Apply
// it before the marker file, so explicit settings win.
func ApplyArgoCDCluster(p *settings.Params, getenv func(string) string) error {
	if v := strings.TrimSpace(getenv(EnvKubeVersion)); v != "" {
		if err := p.SetString(EnvKubeVersion, settings.ParamKubeVersion, v); err != nil {
			return err
		}
	}
	if v := strings.TrimSpace(getenv(EnvKubeAPIVersions)); v != "" {
		if err := p.SetString(EnvKubeAPIVersions, settings.ParamAPIVersions, v); err != nil {
			return err
		}
	}
	return nil
}

// ApplyArgoCDApp sets the Application's settings in p, later ones winning:
// ARGOCD_ENV_<NAME> (the plugin's env; NAME is the parameter name
// upper-cased, "_" between words optional: ARGOCD_ENV_VELERO_VERSION or
// ARGOCD_ENV_VELEROVERSION; lists comma-separated), then PARAM_<NAME>
// (PARAM_<NAME>_<i> for array items), then ARGOCD_APP_PARAMETERS (JSON
// [{"name":…,"string"|"array"|"map":…}]). Announced defaults are not sent by
// Argo CD; unset parameters keep the plugin's defaults (see settings.Specs).
func ApplyArgoCDApp(p *settings.Params, getenv func(string) string) error {
	for _, s := range settings.Specs {
		for _, n := range envNames(s.Name) {
			if v, ok := lookup(getenv, envPrefix+n); ok {
				if err := p.SetString(envPrefix+n, s.Name, v); err != nil {
					return err
				}
				break
			}
		}
	}
	for _, s := range settings.Specs {
		n := paramPrefix + escape(s.Name)
		if v, ok := lookup(getenv, n); ok && !s.List {
			if err := p.Set(n, s.Name, v); err != nil {
				return err
			}
			continue
		}
		if !s.List {
			continue
		}
		var items []string
		for i := 0; ; i++ {
			v, ok := lookup(getenv, n+"_"+strconv.Itoa(i))
			if !ok {
				break
			}
			items = append(items, v)
		}
		if len(items) > 0 {
			if err := p.Set(n+"_*", s.Name, items...); err != nil {
				return err
			}
		}
	}
	raw := strings.TrimSpace(getenv(EnvAppParameters))
	if raw == "" {
		return nil
	}
	params, err := ParseAppParameters([]byte(raw))
	if err != nil {
		return err
	}
	for _, ap := range params {
		src := EnvAppParameters + " " + strconv.Quote(ap.Name)
		var err error
		switch {
		case ap.Map != nil:
			err = fmt.Errorf("%s: parameter %q takes a string or an array, not a map", src, ap.Name)
		case ap.Array != nil:
			err = p.Set(src, ap.Name, ap.Array...)
		default:
			err = p.Set(src, ap.Name, *ap.String)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// AppParameter is one entry of ARGOCD_APP_PARAMETERS.
type AppParameter struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// ParseAppParameters decodes ARGOCD_APP_PARAMETERS strictly: a JSON array of
// objects, each with a name and exactly one of string, array or map.
func ParseAppParameters(b []byte) ([]AppParameter, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ps []AppParameter
	if err := dec.Decode(&ps); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON (want [{\"name\":…,\"string\"|\"array\"|\"map\":…}]): %w", EnvAppParameters, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: invalid JSON: data after the array", EnvAppParameters)
	}
	for i, ap := range ps {
		n := 0
		if ap.String != nil {
			n++
		}
		if ap.Array != nil {
			n++
		}
		if ap.Map != nil {
			n++
		}
		switch {
		case ap.Name == "":
			return nil, fmt.Errorf("%s[%d]: the parameter has no name", EnvAppParameters, i)
		case n != 1:
			return nil, fmt.Errorf("%s[%d] %q: give exactly one of string, array or map", EnvAppParameters, i, ap.Name)
		}
	}
	return ps, nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// escape is Argo CD's PARAM_ name escaping: upper case, every character
// other than A-Z, 0-9 and _ replaced by _.
func escape(name string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToUpper(r)
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// envNames returns the accepted ARGOCD_ENV_ suffixes of a parameter:
// VELEROVERSION and VELERO_VERSION for veleroVersion.
func envNames(name string) []string {
	var snake strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			snake.WriteByte('_')
		}
		snake.WriteRune(unicode.ToUpper(r))
	}
	if e := escape(name); e != snake.String() {
		return []string{snake.String(), e}
	}
	return []string{escape(name)}
}
