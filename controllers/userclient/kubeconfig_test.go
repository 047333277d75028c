package userclient

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Credentials of the test kubeconfigs: no error may quote them.
const (
	secretToken    = "TOKEN-SECRET-d41d8cd9"
	secretKey      = "KEY-SECRET-8f00b204"
	secretPassword = "PASSWORD-SECRET-0cc175b9"
)

// baseKubeconfig is a kubeconfig as KKP writes it: inline credentials only.
// Its current context uses the token user "admin"; "cert" holds inline
// certificate data.
func baseKubeconfig() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kkp"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("ca")}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: secretToken}
	cfg.AuthInfos["cert"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("cert"), ClientKeyData: []byte(secretKey)}
	cfg.Contexts["kkp"] = &clientcmdapi.Context{Cluster: "kkp", AuthInfo: "admin"}
	cfg.CurrentContext = "kkp"
	return cfg
}

// refusedCase turns baseKubeconfig into a refused one. file is a path for
// fields naming files; exec commands create marker.
type refusedCase struct {
	mutate func(cfg *clientcmdapi.Config, file, marker string)
	want   field.ErrorList
}

func refusedCases() map[string]refusedCase {
	admin := field.NewPath("users").Key("admin")
	cert := field.NewPath("users").Key("cert")
	kkp := field.NewPath("clusters").Key("kkp")
	ctx := field.NewPath("contexts").Key("kkp")
	current := field.NewPath("current-context")
	return map[string]refusedCase{
		"exec": {func(cfg *clientcmdapi.Config, _, marker string) {
			cfg.AuthInfos["admin"].Exec = &clientcmdapi.ExecConfig{
				APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/sh", Args: []string{"-c", "touch " + marker},
				InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
			}
		}, field.ErrorList{field.Forbidden(admin.Child("exec"), "")}},
		"auth-provider": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.AuthInfos["admin"].AuthProvider = &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": secretToken}}
		}, field.ErrorList{field.Forbidden(admin.Child("auth-provider"), "")}},
		"tokenFile": {func(cfg *clientcmdapi.Config, file, _ string) {
			cfg.AuthInfos["admin"].Token, cfg.AuthInfos["admin"].TokenFile = "", file
		}, field.ErrorList{field.Forbidden(admin.Child("tokenFile"), "")}},
		"client-certificate": {func(cfg *clientcmdapi.Config, file, _ string) {
			cfg.AuthInfos["cert"].ClientCertificateData, cfg.AuthInfos["cert"].ClientCertificate = nil, file
		}, field.ErrorList{field.Forbidden(cert.Child("client-certificate"), "")}},
		"client-key": {func(cfg *clientcmdapi.Config, file, _ string) {
			cfg.AuthInfos["cert"].ClientKeyData, cfg.AuthInfos["cert"].ClientKey = nil, file
		}, field.ErrorList{field.Forbidden(cert.Child("client-key"), "")}},
		"basic auth": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.AuthInfos["admin"].Token, cfg.AuthInfos["admin"].Username, cfg.AuthInfos["admin"].Password = "", "admin", secretPassword
		}, field.ErrorList{field.Forbidden(admin.Child("username"), ""), field.Forbidden(admin.Child("password"), "")}},
		"certificate-authority": {func(cfg *clientcmdapi.Config, file, _ string) {
			cfg.Clusters["kkp"].CertificateAuthorityData, cfg.Clusters["kkp"].CertificateAuthority = nil, file
		}, field.ErrorList{field.Forbidden(kkp.Child("certificate-authority"), "")}},
		"certificate-authority of an unused cluster": {func(cfg *clientcmdapi.Config, file, _ string) {
			cfg.Clusters["spare"] = &clientcmdapi.Cluster{Server: "https://127.0.0.2:6443", CertificateAuthority: file}
		}, field.ErrorList{field.Forbidden(field.NewPath("clusters").Key("spare").Child("certificate-authority"), "")}},
		"proxy-url": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Clusters["kkp"].ProxyURL = "http://proxy.invalid:3128"
		}, field.ErrorList{field.Forbidden(kkp.Child("proxy-url"), "")}},
		"insecure-skip-tls-verify": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Clusters["kkp"].CertificateAuthorityData, cfg.Clusters["kkp"].InsecureSkipTLSVerify = nil, true
		}, field.ErrorList{field.Forbidden(kkp.Child("insecure-skip-tls-verify"), "")}},
		"plain http server": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Clusters["kkp"].Server = "http://127.0.0.1:8080"
		}, field.ErrorList{field.Forbidden(kkp.Child("server"), "")}},
		"server with user info": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Clusters["kkp"].Server = "https://admin:" + secretPassword + "@127.0.0.1:6443"
		}, field.ErrorList{field.Forbidden(kkp.Child("server"), "")}},
		"no server": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Clusters["kkp"].Server = ""
		}, field.ErrorList{field.Required(kkp.Child("server"), "")}},
		"no current context": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.CurrentContext = ""
		}, field.ErrorList{field.Required(current, "")}},
		"unknown current context": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.CurrentContext = "elsewhere"
		}, field.ErrorList{field.Forbidden(current, "")}},
		"context without cluster and user": {func(cfg *clientcmdapi.Config, _, _ string) {
			cfg.Contexts["kkp"].Cluster, cfg.Contexts["kkp"].AuthInfo = "elsewhere", ""
		}, field.ErrorList{field.Forbidden(ctx.Child("cluster"), ""), field.Forbidden(ctx.Child("user"), "")}},
	}
}

// summary is what a test compares of an ErrorList: type and field.
func summary(errs field.ErrorList) []string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Type.String()+" "+e.Field)
	}
	return s
}

// summaryFields returns the field paths of errs.
func summaryFields(errs field.ErrorList) []string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Field)
	}
	return s
}

func TestValidateKubeconfig(t *testing.T) {
	if errs := validateKubeconfig(baseKubeconfig()); len(errs) > 0 {
		t.Fatalf("the base kubeconfig is refused: %v", errs)
	}
	for name, tc := range refusedCases() {
		t.Run(name, func(t *testing.T) {
			cfg := baseKubeconfig()
			tc.mutate(cfg, "/nonexistent/file", "/nonexistent/marker")
			errs := validateKubeconfig(cfg)
			if got, want := summary(errs), summary(tc.want); !slices.Equal(got, want) {
				t.Fatalf("errors %v, want %v", errs, want)
			}
			for _, s := range []string{secretToken, secretKey, secretPassword} {
				if strings.Contains(errs.ToAggregate().Error(), s) {
					t.Fatalf("error quotes a credential: %v", errs)
				}
			}
		})
	}
}

func TestParseKubeconfig(t *testing.T) {
	kc, err := clientcmd.Write(*baseKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseKubeconfig(kc, "secret ns/name key \"kubeconfig\"")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || cfg.BearerToken != secretToken || string(cfg.CAData) != "ca" {
		t.Fatalf("config %q token %v CA %q", cfg.Host, cfg.BearerToken == secretToken, cfg.CAData)
	}

	for name, garbage := range map[string]string{
		"yaml":  "users:\n- name: admin\n  user: \"" + secretToken + "\n",
		"json":  `{"users": "` + secretToken + `"}`,
		"types": "clusters: " + secretToken + "\n",
	} {
		_, err := parseKubeconfig([]byte(garbage), "secret ns/name key \"kubeconfig\"")
		if !errors.Is(err, ErrRefused) || strings.Contains(err.Error(), secretToken) {
			t.Errorf("%s: err = %v, want ErrRefused without the contents", name, err)
		}
	}
}
