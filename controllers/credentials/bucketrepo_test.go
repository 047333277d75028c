package credentials_test

import (
	"encoding/json"
	"testing"

	"github.com/kopia/kopia/repo/format"

	"github.com/clusterbackup/clusterbackup/controllers/credentials"
)

// formatBlob returns a kopia.repository blob as kopia writes it for a
// repository encrypted with pw.
func formatBlob(t *testing.T, pw string) []byte {
	t.Helper()
	f := &format.KopiaRepositoryJSON{
		Tool: "https://github.com/kopia/kopia", KeyDerivationAlgorithm: format.DefaultKeyDerivationAlgorithm,
		UniqueID: []byte("0123456789abcdef0123456789abcdef"), EncryptionAlgorithm: format.DefaultFormatEncryption,
	}
	key, err := f.DeriveFormatEncryptionKeyFromPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.EncryptRepositoryConfig(&format.RepositoryConfig{}, key); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpens(t *testing.T) {
	blob := formatBlob(t, "static-passw0rd")
	for name, tc := range map[string]struct {
		blob []byte
		pw   string
		want bool
	}{
		"its password":          {blob, "static-passw0rd", true},
		"another password":      {blob, "a-generated-password-0123456789abcdefghij", false},
		"not json":              {[]byte("kopia"), "static-passw0rd", false},
		"no encrypted format":   {[]byte(`{"encryption":"AES256_GCM","keyAlgo":"scrypt-65536-8-1"}`), "static-passw0rd", false},
		"unknown encryption":    {[]byte(`{"encryption":"NONE","encryptedBlockFormat":"AAAA"}`), "static-passw0rd", false},
		"unknown key algorithm": {[]byte(`{"encryption":"AES256_GCM","keyAlgo":"md5","encryptedBlockFormat":"AAAAAAAAAAAAAAAAAAAAAAAA"}`), "x", false},
	} {
		if got := credentials.Opens(tc.blob, []byte(tc.pw)); got != tc.want {
			t.Errorf("%s: Opens = %v, want %v", name, got, tc.want)
		}
	}
}

func TestKopiaRoot(t *testing.T) {
	for in, want := range map[string]string{"": "kopia/", "seed-eu/p1/c1": "seed-eu/p1/c1/kopia/", "/a/": "a/kopia/"} {
		if got := credentials.KopiaRoot(in); got != want {
			t.Errorf("KopiaRoot(%q) = %q, want %q", in, got, want)
		}
	}
}
