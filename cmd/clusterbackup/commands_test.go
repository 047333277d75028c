//go:build !webhookonly

package main

import (
	"strings"
	"testing"
)

// TestEveryCommandTakesFlagsOnly: one habit across the CLI — a stray
// positional argument is a usage error (exit 2) naming the arguments, and
// a command that reads inputs says to give them with -f. Only `drill
// verify` takes positional arguments (its records).
func TestEveryCommandTakesFlagsOnly(t *testing.T) {
	withF := map[string]bool{"render": true, "diff": true, "webhook-config": true, "check": true, "policy": true, "fleet status": true}
	for _, cmd := range []string{"render", "diff", "webhook", "controllers", "webhook-config", "check", "policy", "download",
		"drill run", "drill keygen", "fleet status", "cmp generate", "krm", "version"} {
		t.Run(cmd, func(t *testing.T) {
			args := append(strings.Fields(cmd), "stray.yaml")
			out, stderr, code := runCLI(t, "", nil, args...)
			want := `unexpected arguments ["stray.yaml"]`
			if withF[cmd] {
				want += " (give inputs with -f)"
			}
			if code != 2 || out != "" || !strings.Contains(stderr, "clusterbackup "+strings.Fields(cmd)[0]+": usage error: "+want) {
				t.Fatalf("clusterbackup %s stray.yaml: code=%d stdout=%q stderr=%q, want exit 2 and %q", cmd, code, out, stderr, want)
			}
		})
	}
	// Covering every command: a new one joins the list above.
	seen := map[string]bool{}
	for _, c := range commands {
		seen[c.name] = true
	}
	if len(seen) != 13 {
		t.Fatalf("commands = %d, the list above covers 13 (drill and fleet by their subcommands): add the new command", len(seen))
	}
}
