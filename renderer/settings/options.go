package settings

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/versions"
	"github.com/clusterbackup/clusterbackup/renderer"
)

var tagRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// digestRE is an image digest as the chart's schema accepts it.
var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// minor returns "vX.Y" of a "vX.Y.Z" tag.
func minor(tag string) string {
	m := tagRE.FindStringSubmatch(tag)
	if m == nil {
		return tag
	}
	return "v" + m[1] + "." + m[2]
}

// Options maps the parameters onto renderer.Options. A default value maps to
// the zero option, so the defaults render exactly what renderer.Options{}
// renders. It checks every value and names the parameter, its value and its
// source in errors: the overlay must exist; the registry is a host with
// optional port and path, without blanks or a digest; versions are vX.Y.Z
// tags in the pinned minor releases (the chart's CRDs are Velero's), each
// optionally with @sha256:<digest>; nodeAgent is a boolean; credentials a
// known mode, externalSecretStore given exactly with externalSecret;
// credentialsSecret not empty; kubeVersion a Kubernetes version.
func (p *Params) Options() (renderer.Options, error) {
	var o renderer.Options
	bad := func(name, rule string) error {
		return fmt.Errorf("parameter %s=%q (from %s): %s", name, p.Get(name), p.Source(name), rule)
	}
	if ov := p.Get(ParamOverlay); ov != "" {
		known := renderer.Overlays()
		found := false
		for _, k := range known {
			found = found || k == ov
		}
		if !found {
			return o, bad(ParamOverlay, fmt.Sprintf("unknown overlay; known overlays: %s", strings.Join(known, ", ")))
		}
		o.Overlay = ov
	}
	o.Registry = strings.TrimSpace(p.Get(ParamRegistry))
	if strings.ContainsAny(o.Registry, " \t\r\n@") {
		return o, bad(ParamRegistry, "must be a registry host (with optional port) and optional path, without blanks or a digest")
	}
	for _, v := range []struct {
		name, pinned string
		dst, digest  *string
	}{
		{ParamVeleroVersion, versions.Velero, &o.VeleroTag, &o.VeleroDigest},
		{ParamPluginVersion, versions.VeleroPluginForAWS, &o.PluginTag, &o.PluginDigest},
	} {
		tag, digest, pinned := strings.Cut(p.Get(v.name), "@")
		if pinned {
			if !digestRE.MatchString(digest) {
				return o, bad(v.name, "the digest after @ must be sha256:<64 lower-case hex digits>")
			}
			*v.digest = digest
		}
		if !tagRE.MatchString(tag) {
			return o, bad(v.name, "must be a release tag vX.Y.Z, optionally with @sha256:<digest>")
		}
		if minor(tag) != minor(v.pinned) {
			return o, bad(v.name, fmt.Sprintf("must stay in %s.x: the chart's CRDs and the Velero/plugin pair are pinned to %s with %s",
				minor(v.pinned), versions.Velero, versions.VeleroPluginForAWS))
		}
		if tag != v.pinned {
			*v.dst = tag
		}
	}
	na, err := strconv.ParseBool(p.Get(ParamNodeAgent))
	if err != nil {
		return o, bad(ParamNodeAgent, "must be true or false")
	}
	o.DisableNodeAgent = !na
	store := p.Get(ParamExternalSecretStore)
	switch m := renderer.CredentialsMode(p.Get(ParamCredentials)); m {
	case renderer.CredentialsExistingSecret:
	case renderer.CredentialsInline:
		o.Credentials = m
	case renderer.CredentialsExternalSecret:
		o.Credentials = m
		if store == "" {
			return o, bad(ParamExternalSecretStore, "is required with credentials "+string(m))
		}
		o.ExternalSecretStore.Name = store
		if kind, name, ok := strings.Cut(store, "/"); ok {
			o.ExternalSecretStore = renderer.SecretStoreRef{Kind: kind, Name: name}
		}
	default:
		return o, bad(ParamCredentials, fmt.Sprintf("must be %s, %s or %s", renderer.CredentialsExistingSecret, renderer.CredentialsExternalSecret, renderer.CredentialsInline))
	}
	if store != "" && o.Credentials != renderer.CredentialsExternalSecret {
		return o, bad(ParamExternalSecretStore, "needs credentials "+string(renderer.CredentialsExternalSecret))
	}
	if cs, _ := SpecFor(ParamCredentialsSecret); p.Get(ParamCredentialsSecret) != cs.Default {
		o.CredentialsSecret = p.Get(ParamCredentialsSecret)
		if o.CredentialsSecret == "" {
			return o, bad(ParamCredentialsSecret, "must not be empty")
		}
	}
	kv, err := normalizeKubeVersion(p.Get(ParamKubeVersion))
	if err != nil {
		return o, bad(ParamKubeVersion, err.Error())
	}
	if kv != renderer.DefaultKubeVersion {
		o.KubeVersion = kv
	}
	o.APIVersions = p.List(ParamAPIVersions)
	return o, nil
}

var kubeVersionRE = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([-+][0-9A-Za-z.+-]*)?$`)

// normalizeKubeVersion accepts what Argo CD's KUBE_VERSION and users write
// ("1.37", "v1.37.2", "1.37.2-gke.100", "1.37+") and returns "vX.Y.Z" plus
// any pre-release part.
func normalizeKubeVersion(v string) (string, error) {
	v = strings.TrimSpace(v)
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("must be a Kubernetes version such as v1.37.2")
	}
	patch := m[4]
	if patch == "" {
		patch = "0"
	}
	out := "v" + m[1] + "." + m[2] + "." + patch
	if rest := strings.TrimRight(m[5], "+"); strings.HasPrefix(rest, "-") {
		if i := strings.IndexByte(rest, '+'); i >= 0 {
			rest = rest[:i]
		}
		out += rest
	}
	return out, nil
}
