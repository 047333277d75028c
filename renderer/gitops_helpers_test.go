package renderer

import (
	"bytes"
	"context"
	"testing"

	"github.com/clusterbackup/clusterbackup/examples"
)

// TestNewSingleMatchesNew: the one-shot renderer gives byte-identical YAML
// and JSON to New's for every example cluster, with and without an overlay.
func TestNewSingleMatchesNew(t *testing.T) {
	fleet, err := LoadInputsFS(examples.Fleet, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Overlay: "hardened", Registry: "registry.example.com/mirror"}} {
		a, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(single(opts))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range fleet {
			ra, err := a.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := b.Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ra.YAML(), rb.YAML()) {
				t.Errorf("%s %+v: YAML differs", in.ClusterID(), opts)
			}
			var ja, jb bytes.Buffer
			if err := ra.WriteJSON(&ja); err != nil {
				t.Fatal(err)
			}
			if err := rb.WriteJSON(&jb); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
				t.Errorf("%s %+v: JSON differs", in.ClusterID(), opts)
			}
		}
	}
}

func single(o Options) Options {
	o.Single = true
	return o
}
