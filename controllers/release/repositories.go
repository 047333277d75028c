package release

import (
	"context"
	"fmt"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// resetRepositories deletes the managed BSL's BackupRepository objects after
// a storage switch. They describe Kopia repositories at the old storage:
// Velero marks them NotReady ("re-establish on BSL change, create or
// delete") and re-checks them only on its 5-minute repository resync, so a
// File System Backup in between skips every volume. Deleted, they are
// created again at the new storage by the next backup. Nothing in object
// storage is touched: the old repositories stay readable through the
// previous location's BSL, whose BackupRepository objects are kept. It
// returns how many it deleted.
func resetRepositories(ctx context.Context, c client.Client, ns, bsl string) (int, error) {
	var repos velerov1.BackupRepositoryList
	if err := c.List(ctx, &repos, client.InNamespace(ns)); err != nil {
		return 0, fmt.Errorf("list backuprepositories in %s: %w", ns, err)
	}
	n := 0
	for i := range repos.Items {
		r := &repos.Items[i]
		if r.Spec.BackupStorageLocation != bsl {
			continue
		}
		if err := c.Delete(ctx, r); err != nil && !apierrors.IsNotFound(err) {
			return n, fmt.Errorf("delete backuprepository %s/%s: %w", ns, r.Name, err)
		}
		n++
	}
	return n, nil
}
