package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/renderer"
)

// A configuration generation is one render configuration (Settings) and
// its ID, ConfigGeneration. Without Generations every cluster renders the
// process's Settings; with them (controllers/rollout: waves with health
// gates) each cluster renders the generation they pick, so clusters a
// rollout has not reached keep rendering — and holding — the previous one.

// Generation is one render configuration and its ID.
type Generation struct {
	// ID is ConfigGeneration(Settings).
	ID string
	// Settings are the render configuration.
	Settings Settings
}

// Generations picks the render configuration of each cluster.
type Generations interface {
	// For returns the generation cluster renders now; recorded is the
	// generation its state ConfigMap says was last applied ("" none).
	For(ctx context.Context, cluster, recorded string) (Generation, error)
}

// generationVersion is part of every generation ID, so a change of how the
// ID is computed changes every ID.
const generationVersion = "clusterbackup-render-config/v1"

// triggerBuffer is how many Enqueue calls may wait for the controller.
const triggerBuffer = 4096

// ConfigGeneration returns the ID of a render configuration: the first 16
// hex digits of the SHA-256 of its render options as JSON. Equal options
// give equal IDs whatever the document's spelling (key order, comments,
// defaults written out).
func ConfigGeneration(s Settings) string {
	b, _ := json.Marshal(s.Options) // plain data: cannot fail
	h := sha256.Sum256(append([]byte(generationVersion+"\n"), b...))
	return hex.EncodeToString(h[:8])
}

// newRenderer returns the renderer of settings s for a user cluster of
// Kubernetes kubeVersion ("" for the renderer's default), rendering into
// the Velero namespace of o.
func newRenderer(o Options, s Settings, kubeVersion string) (*renderer.Renderer, error) {
	opts := s.Options
	if o.VeleroNamespace != DefaultVeleroNamespace {
		opts.Namespace = o.VeleroNamespace
	}
	if kubeVersion != "" {
		opts.KubeVersion = kubeVersion
	}
	rn, err := renderer.New(opts)
	if err != nil {
		return nil, fmt.Errorf("release loop renderer: %w", err)
	}
	return rn, nil
}

// kubeVersionOf is the Kubernetes version to render cluster c for: the
// minor of the version KKP writes into its spec ("1.33.5" renders for
// v1.33.0, so that every patch release of a minor shares one renderer), or
// "" (the renderer's default) when the Cluster names none or one that does
// not parse. What the chart renders depends on it: MutatingAdmissionPolicy
// only where the cluster's API serves it (1.36 and later).
func kubeVersionOf(c *kkpv1.Cluster) string {
	v, err := utilversion.ParseGeneric(c.Spec.Version)
	if c.Spec.Version == "" || err != nil {
		return ""
	}
	return fmt.Sprintf("v%d.%d.0", v.Major(), v.Minor())
}

// generation returns the generation cluster renders now and its renderer
// for Kubernetes kubeVersion (built once per generation and version); cm is
// the cluster's state ConfigMap (nil: none).
func (r *Reconciler) generation(ctx context.Context, cluster, kubeVersion string, cm *corev1.ConfigMap) (Generation, *renderer.Renderer, error) {
	g := Generation{ID: ConfigGeneration(r.Settings), Settings: r.Settings}
	if r.Generations != nil {
		recorded := ""
		if cm != nil {
			recorded = cm.Annotations[StateGenerationAnnotation]
		}
		var err error
		if g, err = r.Generations.For(ctx, cluster, recorded); err != nil {
			return g, nil, fmt.Errorf("configuration generation: %w", err)
		}
	}
	key := g.ID
	if kubeVersion != "" {
		key += "@" + kubeVersion
	}
	r.mu.Lock()
	rn, ok := r.renderers[key]
	r.mu.Unlock()
	if ok {
		return g, rn, nil
	}
	rn, err := newRenderer(r.Options, g.Settings, kubeVersion)
	if err != nil {
		return g, nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.renderers[key]; ok {
		return g, cur, nil
	}
	r.renderers[key] = rn
	return g, rn, nil
}

// Enqueue asks the loop to reconcile cluster soon (a rollout moved it into
// a wave). It never blocks: with the buffer full the request is dropped and
// the resync period bounds the delay.
func (r *Reconciler) Enqueue(cluster string) bool {
	select {
	case r.trigger <- event.GenericEvent{Object: &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}}}:
		return true
	default:
		return false
	}
}

// Excludes reports whether the loop leaves a Cluster with these labels
// alone (Options.ExcludeSelector).
func (o Options) Excludes(l map[string]string) bool { return o.excluded(l) }

// ForgetGenerations drops the renderers of generations other than keep and
// the process's own (a rollout finished with them).
func (r *Reconciler) ForgetGenerations(keep ...string) {
	own := ConfigGeneration(r.Settings)
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.renderers {
		if id != own && !slices.Contains(keep, id) {
			delete(r.renderers, id)
		}
	}
}
