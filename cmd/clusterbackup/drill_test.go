//go:build !webhookonly

package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	core "github.com/clusterbackup/clusterbackup/internal/drill"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// TestDrillKeygenAndVerify: keygen writes a private key (0600, never
// overwritten) and prints the public key; verify accepts the record that
// key signed (from a file and from stdin), says a failed drill failed,
// and exits 1 for a tampered record or another key; usage errors exit 2.
func TestDrillKeygenAndVerify(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "drill.key")
	pubOut, stderr, code := runCLI(t, "", nil, "drill", "keygen", "--out", priv)
	if code != 0 || !strings.Contains(pubOut, "BEGIN PUBLIC KEY") {
		t.Fatalf("keygen: exit %d %s", code, stderr)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	if _, stderr, code := runCLI(t, "", nil, "drill", "keygen", "--out", priv); code != 1 || !strings.Contains(stderr, "not overwritten") {
		t.Fatalf("keygen over an existing key: exit %d %s", code, stderr)
	}
	pub := filepath.Join(dir, "drill.pub")
	testenv.Must(t, os.WriteFile(pub, []byte(pubOut), 0o644))
	b, err := os.ReadFile(priv)
	testenv.Must(t, err)
	key, err := core.ParsePrivateKey(b)
	testenv.Must(t, err)
	now := time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)
	rec := &core.Record{Version: core.RecordVersion, ProjectID: "p1", ClusterID: "c1", Run: "0a1b2c3d", Backup: "b1",
		Started: now, Finished: now.Add(time.Minute), Outcome: core.Failed, Reason: "restorePhase: Failed: gzip: unexpected EOF"}
	signed, err := core.Sign(rec, key)
	testenv.Must(t, err)
	good := filepath.Join(dir, "good.json")
	testenv.Must(t, os.WriteFile(good, signed, 0o644))
	out, stderr, code := runCLI(t, string(signed), nil, "drill", "verify", "--public-key", pub, good, "-")
	if code != 0 || strings.Count(out, ": verified (key ") != 2 || !strings.Contains(out, "failed, RTO 0s, RPO 0s: restorePhase: Failed: gzip: unexpected EOF") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	testenv.Must(t, os.WriteFile(bad, bytes.Replace(signed, []byte(`"outcome":"failed"`), []byte(`"outcome":"passed"`), 1), 0o644))
	out, stderr, code = runCLI(t, "", nil, "drill", "verify", "--public-key", pub, good, bad)
	if code != 1 || !strings.Contains(out, "bad.json: NOT VERIFIED") || !strings.Contains(stderr, "1 of 2 records do not verify") {
		t.Fatalf("tampered: exit %d\n%s%s", code, out, stderr)
	}
	_, otherPub, err := core.GenerateKey()
	testenv.Must(t, err)
	other := filepath.Join(dir, "other.pub")
	testenv.Must(t, os.WriteFile(other, otherPub, 0o644))
	if out, _, code := runCLI(t, "", nil, "drill", "verify", "--public-key", other, good); code != 1 || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("another key: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"drill"}, {"drill", "verify", good}, {"drill", "run", "--signing-key", priv}, {"drill", "run", "--cluster", "c1"}} {
		if _, _, code := runCLI(t, "", nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestDrillRunDefaultsOnce: `drill run` takes its defaults from the
// drill's one place, drill.Options.Default (as the scheduled loop does),
// and from userclient.Options.Default: parsing only the required flags
// gives exactly those defaulted options, and every flag's shown default
// read back through the flag gives them again.
func TestDrillRunDefaultsOnce(t *testing.T) {
	want := drillRunArgs{cluster: "c1", cbslNS: controllers.DefaultCBSLNamespace}
	want.drill.Default()
	want.drill.SigningKeyFile = "drill.key"
	want.users.Default()
	required := []string{"--cluster=c1", "--signing-key=drill.key"}
	got, err := parseDrillRunArgs(streams{Err: io.Discard}, required)
	testenv.Must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("drill run with the required flags gives\n%+v\nwant the defaults of drill.Options and userclient.Options\n%+v", got, want)
	}
	if got.drill.MaxNamespaces != drill.DefaultMaxNamespaces || drill.DefaultMaxNamespaces != core.DefaultMaxNamespaces {
		t.Errorf("--max-namespaces %d, drill.DefaultMaxNamespaces %d, the plan's %d: want one value", got.drill.MaxNamespaces, drill.DefaultMaxNamespaces, core.DefaultMaxNamespaces)
	}

	args := append([]string(nil), required...)
	shown := 0
	def := drillRunArgs{cbslNS: controllers.DefaultCBSLNamespace}
	def.drill.Default()
	def.users.Default()
	fs := flag.NewFlagSet("drill run", flag.ContinueOnError)
	bindDrillRunFlags(fs, &def)
	fs.VisitAll(func(f *flag.Flag) {
		if f.DefValue != "" && f.Name != "cluster" && f.Name != "signing-key" {
			args = append(args, "--"+f.Name+"="+f.DefValue)
			shown++
		}
	})
	if shown < 10 {
		t.Fatalf("only %d drill run flags show a default: %v", shown, args)
	}
	got, err = parseDrillRunArgs(streams{Err: io.Discard}, args)
	testenv.Must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("every flag set to its shown default gives\n%+v\nwant\n%+v", got, want)
	}
}
