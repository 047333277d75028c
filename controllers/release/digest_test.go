package release

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	"github.com/clusterbackup/clusterbackup/renderer"
)

func TestDigest(t *testing.T) {
	rn, err := renderer.New(renderer.Options{})
	testenv.Must(t, err)
	ctx := context.Background()
	cbsl := newCBSL("a", bucket, "p")
	in := renderer.Input{Cluster: newCluster("c1", "a"), CBSL: cbsl}
	digest := func(in renderer.Input, lc renderer.Lifecycle) string {
		t.Helper()
		res, err := rn.RenderLifecycle(ctx, in, lc)
		testenv.Must(t, err)
		d, err := Digest(res)
		testenv.Must(t, err)
		return d
	}
	d1, d2 := digest(in, renderer.Lifecycle{}), digest(in, renderer.Lifecycle{})
	if d1 != d2 || !strings.HasPrefix(d1, "sha256:") || len(d1) != len("sha256:")+64 {
		t.Fatalf("digests %s and %s of one render", d1, d2)
	}
	if digest(in, renderer.Lifecycle{Disabled: true}) == d1 {
		t.Fatal("the disabled release has the enabled one's digest")
	}
	other := renderer.Input{Cluster: newCluster("c2", "a"), CBSL: cbsl}
	if digest(other, renderer.Lifecycle{}) == d1 {
		t.Fatal("two clusters' releases have one digest")
	}
}
