package creds

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseINI(t *testing.T) {
	ini := []byte("# c\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n[profile other]\naws_access_key_id=O\naws_secret_access_key=OS\n")
	tests := map[string]struct {
		file    []byte
		profile string
		want    Static
		wantErr string
	}{
		"default":            {file: ini, want: Static{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		"named profile":      {file: ini, profile: "other", want: Static{AccessKeyID: "O", SecretAccessKey: "OS"}},
		"missing profile":    {file: ini, profile: "x", wantErr: `no profile "x"`},
		"incomplete profile": {file: []byte("[default]\naws_access_key_id=A\n"), wantErr: "needs aws_access_key_id and aws_secret_access_key"},
		"not key = value":    {file: []byte("[default]\nhello\n"), wantErr: "line 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseINI(tc.file, tc.profile)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestNoSecretInFormatting(t *testing.T) {
	s := Static{AccessKeyID: "AK", SecretAccessKey: "TOPSECRET"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, "TOPSECRET") {
			t.Errorf("%s leaks the secret: %q", f, out)
		}
	}
	if s.Hash() == (Static{AccessKeyID: "AK", SecretAccessKey: "other"}).Hash() {
		t.Error("Hash does not depend on the secret")
	}
	back, err := ParseINI(s.INI(""), "")
	if err != nil || back != s {
		t.Fatalf("INI round trip = %v, %v", back, err)
	}
}

func TestINIForProfile(t *testing.T) {
	st := Static{AccessKeyID: "AK", SecretAccessKey: "SK"}
	for _, profile := range []string{"", "default", "backups"} {
		file := st.INI(profile)
		for _, p := range []string{"default", profile} {
			got, err := ParseINI(file, p)
			if err != nil || got != st {
				t.Fatalf("profile %q of the file for config.profile %q: %v, %v", p, profile, got, err)
			}
		}
	}
}
