package controllers

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// DefaultLeaderElectionID is the default name of the controllers' Lease.
const DefaultLeaderElectionID = "clusterbackup-seed-controllers"

// inClusterNamespaceFile holds the Pod's namespace (the service account
// mount); a variable so tests can point it elsewhere.
var inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// podNamespace sets the Lease's namespace to the Pod's when leader election
// is on and none is set. Outside a Pod it stays empty, and Validate
// requires it.
func (o *Options) podNamespace() error {
	if !o.LeaderElection || o.LeaderElectionNamespace != "" {
		return nil
	}
	b, err := os.ReadFile(inClusterNamespaceFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("leader election: read the Pod's namespace: %w", err)
	}
	o.LeaderElectionNamespace = strings.TrimSpace(string(b))
	return nil
}

// leaderElection sets the manager's leader election from completed o. The
// loops (controllers) need leadership, as controller-runtime's controllers
// do by default; the health and metrics endpoints and the fleet inventory
// (NeedLeaderElection false) do not. A stopping leader releases the Lease
// at once, so another replica takes over within its retry period (2s).
func leaderElection(mo *manager.Options, o Options) {
	if !o.LeaderElection {
		return
	}
	mo.LeaderElection = true
	mo.LeaderElectionID = o.LeaderElectionID
	mo.LeaderElectionNamespace = o.LeaderElectionNamespace
	mo.LeaderElectionReleaseOnCancel = true
}
