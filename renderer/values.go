package renderer

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Values returns the chart values for one cluster: exactly what the Go
// renderer hands the chart, so `helm template charts/velero-managed -f
// <these values>` renders the same objects. It is pure. Only values that
// differ from the chart's defaults by input or option are set; the chart
// computes the prefix itself from storage.prefix, cluster.projectID and
// cluster.id. The input is validated first (see Input.Validate). With
// CredentialsInline the CBSL's credential Secret must be present; the
// returned map then holds the keys, so never log it.
func Values(in Input, opts Options) (map[string]any, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	os := in.CBSL.Spec.ObjectStorage
	storage := map[string]any{
		"bucket": os.Bucket,
		"prefix": os.Prefix,
	}
	if len(in.CBSL.Spec.Config) > 0 {
		cfg := make(map[string]any, len(in.CBSL.Spec.Config))
		for k, v := range in.CBSL.Spec.Config {
			cfg[k] = v
		}
		storage["config"] = cfg
	}
	if len(os.CACert) > 0 {
		storage["caCert"] = base64.StdEncoding.EncodeToString(os.CACert)
	}
	if d := in.CBSL.Spec.BackupSyncPeriod; d != nil {
		storage["backupSyncPeriod"] = d.Duration.String()
	}
	if d := in.CBSL.Spec.ValidationFrequency; d != nil {
		storage["validationFrequency"] = d.Duration.String()
	}
	v := map[string]any{
		"cluster": map[string]any{"id": in.ClusterID(), "projectID": in.ProjectID()},
		"storage": storage,
	}
	if opts.Namespace != "" {
		v["namespace"] = opts.Namespace
	}
	if opts.BSLName != "" {
		v["bsl"] = map[string]any{"name": opts.BSLName}
	}
	cr, err := credentialValues(in, opts)
	if err != nil {
		return nil, err
	}
	if cr != nil {
		v["credentials"] = cr
	}
	img := map[string]any{}
	if opts.Registry != "" {
		img["registry"] = strings.TrimSuffix(opts.Registry, "/")
	}
	for _, i := range []struct{ name, tag, digest string }{
		{"velero", opts.VeleroTag, opts.VeleroDigest},
		{"pluginForAWS", opts.PluginTag, opts.PluginDigest},
	} {
		e := map[string]any{}
		if i.tag != "" {
			e["tag"] = i.tag
		}
		if i.digest != "" {
			e["digest"] = i.digest
		}
		if len(e) > 0 {
			img[i.name] = e
		}
	}
	if len(img) > 0 {
		v["image"] = img
	}
	if opts.DisableNodeAgent {
		v["nodeAgent"] = map[string]any{"enabled": false}
	}
	if len(opts.Schedules) > 0 {
		s := make(map[string]any, len(opts.Schedules))
		for name, sc := range opts.Schedules {
			m := map[string]any{"schedule": sc.Schedule}
			if len(sc.Template) > 0 {
				m["template"] = deepCopy(sc.Template)
			}
			if sc.Paused {
				m["paused"] = true
			}
			if sc.UseOwnerReferencesInBackup {
				m["useOwnerReferencesInBackup"] = true
			}
			s[name] = m
		}
		v["schedules"] = s
	}
	mergeInto(v, opts.Values)
	return v, nil
}

// credentialValues returns the credentials section, or nil for the chart's
// default (an existing Secret named velero-cloud-credentials).
func credentialValues(in Input, opts Options) (map[string]any, error) {
	switch opts.Credentials {
	case "", CredentialsExistingSecret:
		if opts.CredentialsSecret == "" {
			return nil, nil
		}
		return map[string]any{"existingSecret": opts.CredentialsSecret}, nil
	case CredentialsInline:
	case CredentialsExternalSecret:
		return externalSecretValues(in, opts)
	default:
		return nil, fmt.Errorf("credentials mode %q is not supported; use %q, %q or %q", opts.Credentials, CredentialsExistingSecret, CredentialsExternalSecret, CredentialsInline)
	}
	c, errs := storage.Credentials(in.CBSL, in.Secret)
	if len(errs) > 0 {
		if in.Secret == nil {
			errs[0].Detail += "; inline credentials need the CBSL's credential Secret among the inputs"
		}
		return nil, cbslError(in.CBSLSource, in.CBSL, errs)
	}
	inline := map[string]any{"accessKeyId": c.AccessKeyID, "secretAccessKey": c.SecretAccessKey}
	if c.SessionToken != "" {
		inline["sessionToken"] = c.SessionToken
	}
	if opts.CredentialsSecret != "" {
		inline["secretName"] = opts.CredentialsSecret
	}
	return map[string]any{"mode": string(CredentialsInline), "inline": inline}, nil
}

// mergeInto merges src into dst: maps deeply, other values replaced.
func mergeInto(dst, src map[string]any) {
	for k, sv := range src {
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
			dst[k] = deepCopy(sm)
			continue
		}
		dst[k] = deepCopyValue(sv)
	}
}

// deepCopy copies nested maps and slices so values never alias Options.
func deepCopy(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopy(t)
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopyValue(x)
		}
		return s
	}
	return v
}
