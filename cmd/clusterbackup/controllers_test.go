//go:build !webhookonly

package main

import (
	"io"
	"testing"

	"github.com/clusterbackup/clusterbackup/controllers"
)

// TestControllersArgs: the controllers command's flags, leader election and
// every loop off by default.
func TestControllersArgs(t *testing.T) {
	co, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--leader-elect", "--leader-elect-namespace", "clusterbackup", "--cbsl-status-loop"})
	must(t, err)
	if !co.LeaderElection || co.LeaderElectionID != controllers.DefaultLeaderElectionID || co.LeaderElectionNamespace != "clusterbackup" || !co.Status.Enabled {
		t.Fatalf("controllers flags: %+v", co)
	}
	co, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--leader-elect-namespace", "x"})
	must(t, err)
	if co.LeaderElection || co.Status.Enabled || co.Credentials.Enabled || co.Fleet.Enabled {
		t.Fatal("--leader-elect and every loop must default to false")
	}
	if co.Release.KKPTakeover {
		t.Fatal("--release-kkp-takeover must default to false")
	}
	co, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--release-kkp-takeover"})
	must(t, err)
	if !co.Release.KKPTakeover {
		t.Fatal("--release-kkp-takeover not parsed")
	}
	if _, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--cbsl-status-period", "10ms"}); err == nil {
		t.Fatal("a status period under 1s was accepted")
	}
}
