package drill

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testKey is a fixed key, so the golden record is byte-stable.
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

func sampleRecord() *Record {
	started := time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)
	completed := started.Add(-90 * time.Minute)
	return &Record{
		Version: RecordVersion, ProjectID: "jnpllgp66z", ClusterID: "xkc6lgmfsn", Run: "0a1b2c3d",
		Backup: "daily-20261206093000", BackupCompleted: &completed, Restore: "clusterbackup-drill-0a1b2c3d",
		Namespaces: map[string]string{"shop": "drill-0a1b2c3d-1"},
		Checks: []Check{
			{Name: CheckRestorePhase, Passed: true, Detail: "Completed"},
			{Name: CheckErrors, Passed: true, Detail: "0 errors, 1 warnings"},
			{Name: CheckItems, Passed: true, Detail: "7 of 7 items restored"},
			{Name: CheckPodVolumes, Passed: true, Detail: "1 volumes, 9437307 bytes restored, as backed up"},
		},
		Started: started, Finished: started.Add(75 * time.Second), RTOSeconds: 41.5, RPOSeconds: 5400,
		Outcome: Passed, CleanedUp: true,
	}
}

// TestSignedRecordGolden: the stored form of a signed record is stable
// (testdata/record.json, -update rewrites it) and verifies.
func TestSignedRecordGolden(t *testing.T) {
	data, err := Sign(sampleRecord(), testKey())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "record.json")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("signed record differs from %s (run with -update):\n%s", golden, data)
	}
	r, err := Verify(want, testKey().Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != Passed || r.Namespaces["shop"] != "drill-0a1b2c3d-1" || r.RPOSeconds != 5400 {
		t.Fatalf("verified record lost fields: %+v", r)
	}
}

// TestTamperedRecordFailsVerify: any change of the signed bytes, another
// key, or a record re-encoded after signing fails with ErrBadSignature.
func TestTamperedRecordFailsVerify(t *testing.T) {
	data, err := Sign(sampleRecord(), testKey())
	if err != nil {
		t.Fatal(err)
	}
	pub := testKey().Public().(ed25519.PublicKey)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	for name, tc := range map[string]struct {
		data []byte
		pub  ed25519.PublicKey
	}{
		"outcome flipped":  {bytes.Replace(data, []byte(`"outcome":"passed"`), []byte(`"outcome":"failed"`), 1), pub},
		"rpo changed":      {bytes.Replace(data, []byte(`"rpoSeconds":5400`), []byte(`"rpoSeconds":54`), 1), pub},
		"reason added":     {bytes.Replace(data, []byte(`"cleanedUp":true`), []byte(`"cleanedUp":true,"reason":"x"`), 1), pub},
		"another key":      {data, otherPub},
		"signature zeroed": {bytes.Replace(data, []byte(`"signature":"`), []byte(`"signature":"AAAA`), 1), pub},
	} {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(tc.data, data) && name != "another key" {
				t.Fatalf("the tamper did not change the record")
			}
			_, err := Verify(tc.data, tc.pub)
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("want ErrBadSignature, got %v", err)
			}
		})
	}
	if _, err := Verify([]byte(`{"record":{},"algorithm":"rsa"}`), pub); err == nil || !strings.Contains(err.Error(), "algorithm") {
		t.Fatalf("another algorithm: %v", err)
	}
	if _, err := Verify([]byte(`not json`), pub); err == nil {
		t.Fatal("garbage verified")
	}
}

// TestKeysPEM: a generated pair parses back; the public key derives from
// the private one; errors never quote key material.
func TestKeysPEM(t *testing.T) {
	priv, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(k.Public()) || !p2.Equal(p) {
		t.Fatal("public key does not match the private key")
	}
	if _, err := ParsePrivateKey(pub); err == nil || strings.Contains(err.Error(), string(pub[30:50])) {
		t.Fatalf("a public key as signing key: %v", err)
	}
	if _, err := ParsePrivateKey([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")); err == nil || strings.Contains(err.Error(), "AAAA") {
		t.Fatalf("broken key: %v", err)
	}
}
