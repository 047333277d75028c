package userclient_test

import (
	"context"
	"errors"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/clusterbackup/clusterbackup/controllers/userclient"
)

// A seed controller builds Clients once, with the manager's non-caching
// reader, and asks for a cluster's client in every reconcile.
func ExampleClients_For() {
	var mgr manager.Manager // the seed's controller manager
	clients, err := userclient.New(mgr.GetAPIReader(), nil, userclient.Options{SecretName: "internal-admin-kubeconfig"})
	if err != nil {
		panic(err) // a wiring mistake
	}

	ctx := context.Background()
	cl, err := clients.For(ctx, "s8kkpcccfq")
	switch {
	case errors.Is(err, userclient.ErrNoKubeconfig):
		return // the control plane is not up yet: requeue
	case errors.Is(err, userclient.ErrRefused):
		return // report on the Cluster; nothing changes until the Secret does
	case err != nil:
		return // the seed's API: retry
	}
	var bsls velerov1.BackupStorageLocationList
	if err := cl.List(ctx, &bsls, client.InNamespace("velero")); errors.Is(err, userclient.ErrBodyTooLarge) {
		return // the user cluster answered more than anyone should
	}
}
