package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// digestVersion is part of every digest, so a change of what the loop
// applies for the same render (e.g. the inventory's format) changes it too.
const digestVersion = "clusterbackup-release/v1"

// Digest returns "sha256:<hex>" of a rendered release: its objects, in
// render order, as compact JSON. The render is deterministic, so the digest
// changes exactly when an object changes, appears or goes; the user
// cluster's inventory parent records the digest last applied.
func Digest(res renderer.Result) (string, error) {
	h := sha256.New()
	h.Write([]byte(digestVersion))
	for i := range res.Manifests {
		m := &res.Manifests[i]
		j, err := m.JSON()
		if err != nil {
			return "", fmt.Errorf("digest of %s %s: %w", m.Kind, m.Name, err)
		}
		// Length-prefixed, so no two different streams hash alike.
		fmt.Fprintf(h, "\n%d\n", len(j))
		h.Write(j)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
