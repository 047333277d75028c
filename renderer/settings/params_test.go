package settings

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/renderer"
)

func TestOptions(t *testing.T) {
	cases := map[string]struct {
		set     map[string][]string
		want    renderer.Options
		wantErr string
	}{
		"defaults render renderer.Options{}": {want: renderer.Options{}},
		"announced defaults given explicitly are still the zero options": {
			set: map[string][]string{
				ParamVeleroVersion: {"v1.18.3"}, ParamPluginVersion: {"v1.14.3"}, ParamNodeAgent: {"true"},
				ParamCredentials: {"existingSecret"}, ParamCredentialsSecret: {"velero-cloud-credentials"}, ParamKubeVersion: {"v1.37.2"},
			},
			want: renderer.Options{},
		},
		"every option": {
			set: map[string][]string{
				ParamOverlay: {"hardened"}, ParamRegistry: {"registry.local:5000/mirror/"}, ParamVeleroVersion: {"v1.18.4"},
				ParamPluginVersion: {"v1.14.4"}, ParamNodeAgent: {"false"}, ParamCredentials: {"inline"},
				ParamCredentialsSecret: {"aws"}, ParamKubeVersion: {"1.36"}, ParamAPIVersions: {"example.com/v1", "example.com/v2"},
			},
			want: renderer.Options{
				Overlay: "hardened", Registry: "registry.local:5000/mirror/", VeleroTag: "v1.18.4", PluginTag: "v1.14.4",
				DisableNodeAgent: true, Credentials: renderer.CredentialsInline, CredentialsSecret: "aws",
				KubeVersion: "v1.36.0", APIVersions: []string{"example.com/v1", "example.com/v2"},
			},
		},
		"argo cd kube version with a vendor suffix": {
			set:  map[string][]string{ParamKubeVersion: {"1.37.1-gke.1200+"}},
			want: renderer.Options{KubeVersion: "v1.37.1-gke.1200"},
		},
		"unknown overlay":          {set: map[string][]string{ParamOverlay: {"fast"}}, wantErr: `parameter overlay="fast" (from test): unknown overlay; known overlays: air-gap, hardened`},
		"velero of another minor":  {set: map[string][]string{ParamVeleroVersion: {"v1.19.0"}}, wantErr: "must stay in v1.18.x"},
		"plugin of another minor":  {set: map[string][]string{ParamPluginVersion: {"v1.13.2"}}, wantErr: "must stay in v1.14.x"},
		"version not a tag":        {set: map[string][]string{ParamVeleroVersion: {"latest"}}, wantErr: "must be a release tag vX.Y.Z"},
		"node agent not a boolean": {set: map[string][]string{ParamNodeAgent: {"on"}}, wantErr: "must be true or false"},
		"unknown credentials mode": {set: map[string][]string{ParamCredentials: {"vault"}}, wantErr: "must be existingSecret, externalSecret or inline"},
		"empty credentials secret": {set: map[string][]string{ParamCredentialsSecret: {""}}, wantErr: "must not be empty"},
		"external secret, cluster store": {
			set:  map[string][]string{ParamCredentials: {"externalSecret"}, ParamExternalSecretStore: {"seed-kubermatic"}},
			want: renderer.Options{Credentials: renderer.CredentialsExternalSecret, ExternalSecretStore: renderer.SecretStoreRef{Name: "seed-kubermatic"}},
		},
		"external secret, namespaced store": {
			set:  map[string][]string{ParamCredentials: {"externalSecret"}, ParamExternalSecretStore: {"SecretStore/seed"}},
			want: renderer.Options{Credentials: renderer.CredentialsExternalSecret, ExternalSecretStore: renderer.SecretStoreRef{Kind: "SecretStore", Name: "seed"}},
		},
		"external secret without a store": {set: map[string][]string{ParamCredentials: {"externalSecret"}}, wantErr: "externalSecretStore"},
		"a store without external secret": {set: map[string][]string{ParamExternalSecretStore: {"seed"}}, wantErr: "needs credentials externalSecret"},
		"registry with a digest":          {set: map[string][]string{ParamRegistry: {"r.example.com@sha256:00"}}, wantErr: "without blanks or a digest"},
		"images pinned by digest": {
			set:  map[string][]string{ParamVeleroVersion: {"v1.18.3@sha256:" + strings.Repeat("ab", 32)}, ParamPluginVersion: {"v1.14.4@sha256:" + strings.Repeat("0f", 32)}},
			want: renderer.Options{VeleroDigest: "sha256:" + strings.Repeat("ab", 32), PluginTag: "v1.14.4", PluginDigest: "sha256:" + strings.Repeat("0f", 32)},
		},
		"digest not sha256":          {set: map[string][]string{ParamVeleroVersion: {"v1.18.3@sha512:00"}}, wantErr: "the digest after @ must be sha256:<64"},
		"digest upper case":          {set: map[string][]string{ParamPluginVersion: {"v1.14.3@sha256:" + strings.Repeat("AB", 32)}}, wantErr: "the digest after @ must be sha256:<64"},
		"digest without a tag":       {set: map[string][]string{ParamVeleroVersion: {"@sha256:" + strings.Repeat("ab", 32)}}, wantErr: "must be a release tag vX.Y.Z"},
		"kube version not a version": {set: map[string][]string{ParamKubeVersion: {"latest"}}, wantErr: "must be a Kubernetes version"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var p Params
			for k, v := range tc.set {
				if err := p.Set("test", k, v...); err != nil {
					t.Fatal(err)
				}
			}
			got, err := p.Options()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	var p Params
	if err := p.Set("src", "overlays", "x"); err == nil || !strings.Contains(err.Error(), `src: unknown parameter "overlays"; known parameters: apiVersions, cluster,`) {
		t.Errorf("unknown name: %v", err)
	}
	if err := p.Set("src", ParamOverlay, "a", "b"); err == nil || !strings.Contains(err.Error(), `parameter "overlay" takes one value, got 2`) {
		t.Errorf("two values for a string: %v", err)
	}
	if err := p.SetString("env", ParamAPIVersions, " a/v1, ,b/v1 "); err != nil {
		t.Fatal(err)
	}
	if got := p.List(ParamAPIVersions); !reflect.DeepEqual(got, []string{"a/v1", "b/v1"}) {
		t.Errorf("split list = %q", got)
	}
	if p.Source(ParamAPIVersions) != "env" || p.Source(ParamOverlay) != "default" {
		t.Errorf("sources %q %q", p.Source(ParamAPIVersions), p.Source(ParamOverlay))
	}
	if got := p.List(ParamInputs); !reflect.DeepEqual(got, []string{"."}) {
		t.Errorf("inputs default = %q", got)
	}
	if p.Get(ParamNodeAgent) != "true" || p.IsSet(ParamNodeAgent) {
		t.Errorf("nodeAgent default")
	}
}
