package creds

import (
	"fmt"
	"strings"
	"testing"
)

func TestFromSecretData(t *testing.T) {
	ini := []byte("# c\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n[other]\naws_access_key_id=O\naws_secret_access_key=OS\n")
	tests := map[string]struct {
		data         map[string][]byte
		key, profile string
		want         Static
		wantErr      string
	}{
		"kkp keys":           {data: map[string][]byte{"accessKeyId": []byte("AK\n"), "secretAccessKey": []byte("SK")}, want: Static{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		"cloud file":         {data: map[string][]byte{"cloud": ini}, want: Static{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		"cloud profile":      {data: map[string][]byte{"cloud": ini}, profile: "other", want: Static{AccessKeyID: "O", SecretAccessKey: "OS"}},
		"kkp dashboard key":  {data: map[string][]byte{"accessKeyId": []byte("AK"), "secretAccessKey": []byte("SK")}, key: "cloud-credentials", want: Static{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		"explicit key":       {data: map[string][]byte{"creds": ini}, key: "creds", want: Static{AccessKeyID: "AK", SecretAccessKey: "SK"}},
		"missing secret key": {data: map[string][]byte{"accessKeyId": []byte("AK")}, wantErr: `no "secretAccessKey"`},
		"empty":              {data: map[string][]byte{}, wantErr: "neither"},
		"missing key":        {data: map[string][]byte{}, key: "creds", wantErr: `no key "creds"`},
		"missing profile":    {data: map[string][]byte{"cloud": ini}, profile: "x", wantErr: `no profile "x"`},
		"incomplete profile": {data: map[string][]byte{"cloud": []byte("[default]\naws_access_key_id=A\n")}, wantErr: "needs aws_access_key_id and aws_secret_access_key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := FromSecretData(tc.data, tc.key, tc.profile)
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
	back, err := ParseINI(s.INI(), "")
	if err != nil || back != s {
		t.Fatalf("INI round trip = %v, %v", back, err)
	}
}
