package userclient

import (
	"fmt"
	"maps"
	"net/url"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// parseKubeconfig parses and validates a kubeconfig read from src (the
// Secret and key, for errors) and returns the rest.Config of its current
// context. It reads no file and runs nothing: everything a kubeconfig could
// point at outside itself is refused by validateKubeconfig first. Errors wrap
// ErrRefused and never quote the kubeconfig.
func parseKubeconfig(kc []byte, src string) (*rest.Config, error) {
	raw, err := clientcmd.Load(kc)
	if err != nil {
		// YAML and JSON errors may quote the offending value.
		return nil, fmt.Errorf("%w: %s: does not parse as a kubeconfig (parser message withheld: it may quote the contents)", ErrRefused, src)
	}
	if errs := validateKubeconfig(raw); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrRefused, src, errs.ToAggregate())
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		// clientcmd's validation errors name entries and fields, not values.
		return nil, fmt.Errorf("%w: %s: %v", ErrRefused, src, err)
	}
	// Validation refused all of these; make sure client-go cannot reach
	// outside the kubeconfig even so.
	cfg.ExecProvider = nil
	cfg.AuthProvider = nil
	cfg.AuthConfigPersister = nil
	cfg.BearerTokenFile = ""
	cfg.Username, cfg.Password = "", ""
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = "", "", ""
	cfg.Insecure = false
	cfg.Proxy = nil
	return cfg, nil
}

// validateKubeconfig refuses every entry, used or not, that would make
// client-go run a command, read a file, use a proxy, send credentials in
// clear or skip TLS verification, and a current context that does not lead
// to a cluster and a user. Only inline token, client-certificate-data,
// client-key-data and certificate-authority-data carry credentials. The
// errors are Required and Forbidden only: they never print a value.
func validateKubeconfig(cfg *clientcmdapi.Config) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(cfg.AuthInfos) {
		errs = append(errs, validateAuthInfo(cfg.AuthInfos[name], field.NewPath("users").Key(name))...)
	}
	for _, name := range sortedKeys(cfg.Clusters) {
		errs = append(errs, validateCluster(cfg.Clusters[name], field.NewPath("clusters").Key(name))...)
	}
	return append(errs, validateCurrentContext(cfg)...)
}

func validateAuthInfo(a *clientcmdapi.AuthInfo, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	forbid := func(set bool, name, why string) {
		if set {
			errs = append(errs, field.Forbidden(p.Child(name), why))
		}
	}
	forbid(a.Exec != nil, "exec", "would run a command on the seed")
	forbid(a.AuthProvider != nil, "auth-provider", "would run an auth provider plugin on the seed")
	forbid(a.TokenFile != "", "tokenFile", "would read a file on the seed; use token")
	forbid(a.ClientCertificate != "", "client-certificate", "would read a file on the seed; use client-certificate-data")
	forbid(a.ClientKey != "", "client-key", "would read a file on the seed; use client-key-data")
	forbid(a.Username != "", "username", "basic authentication is not accepted; use token or client-certificate-data")
	forbid(a.Password != "", "password", "basic authentication is not accepted; use token or client-certificate-data")
	return errs
}

func validateCluster(c *clientcmdapi.Cluster, p *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	forbid := func(set bool, name, why string) {
		if set {
			errs = append(errs, field.Forbidden(p.Child(name), why))
		}
	}
	forbid(c.CertificateAuthority != "", "certificate-authority", "would read a file on the seed; use certificate-authority-data")
	forbid(c.ProxyURL != "", "proxy-url", "would send requests and credentials through a proxy")
	forbid(c.InsecureSkipTLSVerify, "insecure-skip-tls-verify", "would send credentials to any server")
	return append(errs, validateServer(c.Server, p.Child("server"))...)
}

// validateServer accepts an https URL with a host and no user info (which
// would be credentials outside the fields above).
func validateServer(server string, p *field.Path) field.ErrorList {
	if server == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	u, err := url.Parse(server)
	switch {
	case err != nil:
		return field.ErrorList{field.Forbidden(p, "is not a URL")}
	case u.Scheme != "https":
		return field.ErrorList{field.Forbidden(p, "must be an https URL")}
	case u.Host == "":
		return field.ErrorList{field.Forbidden(p, "has no host")}
	case u.User != nil:
		return field.ErrorList{field.Forbidden(p, "must not hold user info")}
	}
	return nil
}

func validateCurrentContext(cfg *clientcmdapi.Config) field.ErrorList {
	p := field.NewPath("current-context")
	if cfg.CurrentContext == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok || ctx == nil {
		return field.ErrorList{field.Forbidden(p, "names no context")}
	}
	var errs field.ErrorList
	cp := field.NewPath("contexts").Key(cfg.CurrentContext)
	if _, ok := cfg.Clusters[ctx.Cluster]; ctx.Cluster == "" || !ok {
		errs = append(errs, field.Forbidden(cp.Child("cluster"), "names no cluster"))
	}
	if _, ok := cfg.AuthInfos[ctx.AuthInfo]; ctx.AuthInfo == "" || !ok {
		errs = append(errs, field.Forbidden(cp.Child("user"), "names no user"))
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
