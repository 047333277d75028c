package controllers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeaderElectionOptions: leader election is refused without a Lease
// namespace outside a Pod; in a Pod the namespace is the
// Pod's, and the Lease is named DefaultLeaderElectionID by default.
func TestLeaderElectionOptions(t *testing.T) {
	dir := t.TempDir()
	old := inClusterNamespaceFile
	t.Cleanup(func() { inClusterNamespaceFile = old })
	inClusterNamespaceFile = filepath.Join(dir, "namespace")

	for name, tc := range map[string]struct {
		o       Options
		wantErr string
	}{
		"no namespace, no Pod": {Options{LeaderElection: true}, "--leader-elect-namespace"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tc.o.Complete(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Complete() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}

	off := Options{}
	if err := off.Complete(); err != nil || off.LeaderElectionNamespace != "" {
		t.Fatalf("leader election off: err=%v, namespace=%q; want no namespace looked up", err, off.LeaderElectionNamespace)
	}

	if err := os.WriteFile(inClusterNamespaceFile, []byte("clusterbackup\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{LeaderElection: true}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if o.LeaderElectionID != DefaultLeaderElectionID || o.LeaderElectionNamespace != "clusterbackup" {
		t.Fatalf("id=%q namespace=%q; want %q in the Pod's namespace clusterbackup", o.LeaderElectionID, o.LeaderElectionNamespace, DefaultLeaderElectionID)
	}
	set := Options{LeaderElection: true, LeaderElectionID: "other", LeaderElectionNamespace: "elsewhere"}
	if err := set.Complete(); err != nil || set.LeaderElectionID != "other" || set.LeaderElectionNamespace != "elsewhere" {
		t.Fatalf("explicit id and namespace must stay: err=%v %+v", err, set)
	}
}
