package release

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// Taking a user cluster over from KKP's own cluster backup (docs/migration.md).
// KKP's controller names the cluster's BSL kkpv1.KKPBSLName and puts it on
// <projectID>/<clusterID> (it replaces the CBSL prefix); clusterbackup
// appends the IDs to the CBSL prefix. Without takeover the loop applies
// nothing over a BSL of that name it did not apply (guardKKPBSL): the
// cluster is left alone and reported, before anything is stored or applied
// (firstEnable), and again at every apply (guardKKPBSL). With takeover (Options.KKPTakeover,
// or the Cluster's annotation kkpv1.KKPTakeoverAnnotation) a cluster the
// loop enables first gets the KKP migration render, as `clusterbackup
// render --kkp-migrate` does:
//
//   - CBSL with a prefix: KKP's BSL is kept under its name, read-only, on
//     its old prefix (a remembered previous location), so the KKP-era
//     Backups stay listed and restorable; the managed BSL is "default" on
//     the new prefix, and admission writes the dashboard's Backups naming
//     KKP's BSL to it.
//   - CBSL without a prefix: both layouts are the same location, so KKP's
//     BSL becomes the managed BSL in place, under its name.
//
// Either way no BSL name moves to another prefix, so Velero's backup sync
// deletes no Backup object, and nothing of Velero's (CRDs, Backups) is
// deleted: the loop never prunes CRDs or BSLs and prunes only what it
// applied itself.

// takesOver reports whether the loop takes cluster c over from KKP's
// cluster backup.
func (o Options) takesOver(c *kkpv1.Cluster) bool {
	return o.KKPTakeover || c.Annotations[kkpv1.KKPTakeoverAnnotation] == "true"
}

// kkpLayout sets the managed BSL's name and KKP's previous location of a
// cluster taken over from KKP's cluster backup, enabled first with CBSL
// cur (m.Location).
func kkpLayout(m *memory) {
	prev, ok := renderer.KKPPreviousLocation(renderer.Input{CBSL: m.Location})
	if !ok {
		m.BSLName = kkpv1.KKPBSLName
		return
	}
	m.BSLName = managedBSLName
	m.Previous = append(m.Previous, previousLocation{BSL: prev.Name, CBSL: trimCBSL(prev.CBSL)})
}

// firstEnable looks, once, when the loop enables cluster c first, for
// KKP's BSL in the user cluster (one GET). Found and not applied by the
// loop: with takeover it returns true (the KKP layout is rendered), without
// it an error that leaves the cluster alone and names the way out. Not
// found: false, the plain first render. A user cluster that cannot be read
// gets the plain first render too: its state is written ahead as usual and
// the apply fails on the same error; should KKP's BSL show up later,
// guardKKPBSL leaves the cluster alone (a takeover then needs the cluster's
// state ConfigMap deleted, docs/migration.md).
func (r *Reconciler) firstEnable(ctx context.Context, c *kkpv1.Cluster) (bool, error) {
	uc, err := r.Users.For(ctx, c.Name)
	if err != nil {
		return false, nil //nolint:nilerr // unreadable: the plain first render, whose apply fails on the same error (above)
	}
	bsl := &unstructured.Unstructured{}
	bsl.SetGroupVersionKind(gvkBackupStorageLocation)
	key := client.ObjectKey{Namespace: r.Options.VeleroNamespace, Name: kkpv1.KKPBSLName}
	switch err := uc.Get(ctx, key, bsl); {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return false, nil
	case err != nil:
		return false, nil //nolint:nilerr // unreadable: the plain first render, whose apply fails on the same error (above)
	case appliedBy(bsl.GetManagedFields(), r.Options.FieldManager):
		return false, nil
	case r.Options.takesOver(c):
		return true, nil
	}
	return false, kkpOwnedError{bsl: describe(bsl)}
}

// kkpOwnedError leaves a cluster of KKP's cluster backup alone: only a
// change on the seed (takeover) or in the user cluster fixes it, so it is
// retried on the resync period, not with backoff.
type kkpOwnedError struct{ bsl string }

func (e kkpOwnedError) Error() string {
	return "user cluster: " + kkpOwned(e.bsl) + "; nothing applied"
}

// isKKPOwned reports whether err is a kkpOwnedError.
func isKKPOwned(err error) bool {
	var k kkpOwnedError
	return errors.As(err, &k)
}
