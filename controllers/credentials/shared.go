package credentials

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// maxNote bounds an Event's note (events.k8s.io/v1 refuses more than 1 kB).
const maxNote = 1000

// keyUse is the key one cluster was last given, as render sees a cluster:
// its Cluster, the CBSL the key was read as and the Secret.
type keyUse struct {
	in          renderer.Input
	accessKeyID string
}

// noteKey records the key cluster c is given and returns the clusters
// sharing it, as `clusterbackup render` finds them
// (renderer.SharedCredentials: one access key ID, several clusters), or
// nil when no other cluster the loop knows uses it. The shared gauge of
// every cluster of the group is set; a cluster that left a group updates
// its own on its next reconcile.
func (r *Reconciler) noteKey(c *kkpv1.Cluster, k key) *renderer.SharedCredential {
	r.mu.Lock()
	if r.uses == nil {
		r.uses = map[string]keyUse{}
	}
	r.uses[c.Name] = keyUse{in: renderer.Input{Cluster: c, CBSL: k.cbsl, Secret: k.secret}, accessKeyID: k.st.AccessKeyID}
	var group []renderer.Input
	for _, u := range r.uses {
		if u.accessKeyID == k.st.AccessKeyID {
			group = append(group, u.in)
		}
	}
	r.mu.Unlock()
	sort.Slice(group, func(i, j int) bool { return group[i].ClusterID() < group[j].ClusterID() })
	// The group holds one access key ID: at most one shared credential.
	shared := renderer.SharedCredentials(group)
	if len(shared) == 0 {
		r.Metrics.setShared(c.Name, c.ProjectID(), 0)
		return nil
	}
	for _, in := range group {
		r.Metrics.setShared(in.ClusterID(), in.Cluster.ProjectID(), len(shared[0].Clusters)-1)
	}
	return &shared[0]
}

// keyEvents reports, once per change, a key other clusters share (with
// render's warning text) and a dedicated key that is not confined to the
// cluster's prefix.
func (r *Reconciler) keyEvents(c *kkpv1.Cluster, res result) {
	if res.shared != nil {
		note := res.shared.String()
		if len(note) > maxNote {
			note = note[:maxNote-3] + "..."
		}
		r.reportOn(c.Name+"/shared", c, note, corev1.EventTypeWarning, ReasonCredentialsShared, "%s", note)
	} else {
		r.reportOn(c.Name+"/shared", c, "", "", "", "")
	}
	switch {
	case !res.dedicated || res.confined == nil:
		r.Metrics.dropConfined(c.Name)
	case *res.confined:
		r.Metrics.setConfined(c.Name, c.ProjectID(), true)
		r.reportOn(c.Name+"/confined", c, "confined", "", "", "")
	default:
		r.Metrics.setConfined(c.Name, c.ProjectID(), false)
		r.reportOn(c.Name+"/confined", c, "open", corev1.EventTypeWarning, ReasonCredentialsNotConfined,
			"the dedicated key of secret %s lists the bucket root or another cluster's folder: confine it to the cluster's prefix with the policy `clusterbackup policy` prints (docs/credentials.md)", res.source)
	}
}
