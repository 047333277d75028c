package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// A resync that finds the release current needs only the digest of the
// render to compare with the user cluster's inventory, and rendering the
// chart is most of a resync's CPU. The render is deterministic: it depends
// on the configuration generation (the renderer and its options) and on
// the plan (the Cluster's name, labels, annotations and spec, the location
// and the lifecycle), nothing else. So the loop remembers, per cluster, the
// digest of its last render under the SHA-256 of those inputs (renderKey)
// and renders again only when they change or the release must be applied.
// One entry per cluster (~150 bytes), dropped with the cluster.

// renderKey returns the key of a plan's render under generation gen.
func renderKey(gen string, p plan) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	c := p.in.Cluster
	// Plain data: encoding cannot fail. Status and volatile metadata are
	// left out: the renderer reads neither.
	_ = enc.Encode([]any{gen, c.Name, c.Labels, c.Annotations, c.Spec, p.in.CBSL, p.lc})
	return hex.EncodeToString(h.Sum(nil))
}

// renderedDigest is the digest of a cluster's last render and its key.
type renderedDigest struct{ key, digest string }

// cachedDigest returns the digest last rendered for cluster under key.
func (r *Reconciler) cachedDigest(cluster, key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.digests[cluster]
	if !ok || d.key != key {
		return "", false
	}
	return d.digest, true
}

// rememberDigest stores the digest rendered for cluster under key.
func (r *Reconciler) rememberDigest(cluster, key, digest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.digests == nil {
		r.digests = map[string]renderedDigest{}
	}
	r.digests[cluster] = renderedDigest{key: key, digest: digest}
}
