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

// completeLeaderElection applies the leader-election defaults and refuses
// leader election without a namespace for the Lease.
func (o *Options) completeLeaderElection() error {
	if !o.LeaderElection {
		return nil
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = DefaultLeaderElectionID
	}
	if o.LeaderElectionNamespace == "" {
		b, err := os.ReadFile(inClusterNamespaceFile)
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("leader election needs the namespace of its Lease (--leader-elect-namespace) when not running in a Pod")
		}
		if err != nil {
			return fmt.Errorf("leader election: read the Pod's namespace: %w", err)
		}
		o.LeaderElectionNamespace = strings.TrimSpace(string(b))
	}
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
