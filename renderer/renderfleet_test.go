package renderer

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestRenderFleetOrderAndContent renders a fleet concurrently and checks
// that results arrive in input order, each equal to a single Render, with
// the cluster's own prefix and labels.
func TestRenderFleetOrderAndContent(t *testing.T) {
	fleet := syntheticFleet(t, 60)
	r, err := New(Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = r.RenderFleet(context.Background(), fleet, func(res Result) error {
		got = append(got, res.ClusterID())
		single, err := r.Render(context.Background(), res.Input)
		if err != nil {
			return err
		}
		if !bytes.Equal(single.YAML(), res.YAML()) {
			return errors.New("fleet result differs from a single render")
		}
		p, _ := res.Input.Prefix()
		if !bytes.Contains(res.YAML(), []byte(`prefix: "`+p+`"`)) || !bytes.Contains(res.YAML(), []byte(`clusterbackup.io/cluster-id: "`+res.ClusterID()+`"`)) {
			return errors.New("result lacks the cluster's prefix or label")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fleet) {
		t.Fatalf("%d results for %d clusters", len(got), len(fleet))
	}
	for i := range fleet {
		if got[i] != fleet[i].ClusterID() {
			t.Fatalf("result %d is %s, want %s", i, got[i], fleet[i].ClusterID())
		}
	}
}

// TestRenderFleetStopsOnError: an emit error stops the run and is returned
// with the cluster named; nothing after it is emitted.
func TestRenderFleetStopsOnError(t *testing.T) {
	fleet := syntheticFleet(t, 40)
	r, err := New(Options{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	boom := errors.New("disk full")
	err = r.RenderFleet(context.Background(), fleet, func(res Result) error {
		n++
		if n == 5 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), fleet[4].ClusterID()) || n != 5 {
		t.Fatalf("err = %v after %d emits", err, n)
	}

	bad := append([]Input{}, fleet[:3]...)
	bad[1].Cluster = bad[1].Cluster.DeepCopy()
	bad[1].Cluster.Name = "Bad_ID"
	n = 0
	err = r.RenderFleet(context.Background(), bad, func(Result) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "metadata.name") || n != 1 {
		t.Fatalf("err = %v after %d emits", err, n)
	}
}

// TestRenderFleetCancel: a cancelled context ends the run with its error.
func TestRenderFleetCancel(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.RenderFleet(ctx, syntheticFleet(t, 10), func(Result) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// TestExampleFleet loads the embedded example fleet: three clusters in two
// projects, each with its own CBSL and prefix.
func TestExampleFleet(t *testing.T) {
	fleet := exampleFleet(t)
	want := map[string]string{
		"m2vd8s5ptc": "q4mh2x8vbn/m2vd8s5ptc",
		"r7tqz9d2wk": "seed-eu/jnpllgp66z/r7tqz9d2wk",
		"xkc6lgmfsn": "seed-eu/jnpllgp66z/xkc6lgmfsn",
	}
	if len(fleet) != len(want) {
		t.Fatalf("%d clusters", len(fleet))
	}
	for _, in := range fleet {
		p, err := in.Prefix()
		if err != nil || p != want[in.ClusterID()] {
			t.Errorf("%s: prefix %q, %v; want %q", in.ClusterID(), p, err, want[in.ClusterID()])
		}
	}
}

// TestParseInputsList: a v1 List (kubectl get -o yaml) and JSON are read.
func TestParseInputsList(t *testing.T) {
	list := `{"apiVersion":"v1","kind":"List","items":[` +
		`{"apiVersion":"kubermatic.k8c.io/v1","kind":"ClusterBackupStorageLocation","metadata":{"name":"l","namespace":"kubermatic","labels":{"project-id":"p1"}},"spec":{"provider":"aws","objectStorage":{"bucket":"bkt"},"credential":{"name":"creds"}}},` +
		`{"apiVersion":"kubermatic.k8c.io/v1","kind":"Cluster","metadata":{"name":"c1","labels":{"project-id":"p1"}},"spec":{"backupConfig":{"backupStorageLocation":{"name":"l"}}}}]}`
	fleet, err := ParseInputs("list.json", strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := fleet[0].Prefix(); len(fleet) != 1 || p != "p1/c1" {
		t.Fatalf("fleet %v prefix %q", fleet, p)
	}
}

// TestRenderFleetLifecycle: each cluster gets its own life cycle, and each
// result equals a single RenderLifecycle of that cluster; a lifecycle error
// names the cluster and stops the run.
func TestRenderFleetLifecycle(t *testing.T) {
	fleet := syntheticFleet(t, 12)
	r, err := New(Options{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	lcFor := func(in Input) Lifecycle {
		switch in.ClusterID()[len(in.ClusterID())-1] % 3 {
		case 0:
			return Lifecycle{Disabled: true}
		case 1:
			return Lifecycle{Previous: []PreviousLocation{{CBSL: oldCBSL(in, "old", "legacy")}}}
		}
		return Lifecycle{}
	}
	n := 0
	err = r.RenderFleetLifecycle(context.Background(), fleet, lcFor, func(res Result) error {
		n++
		single, err := r.RenderLifecycle(context.Background(), res.Input, lcFor(res.Input))
		if err != nil {
			return err
		}
		if !bytes.Equal(single.YAML(), res.YAML()) {
			return errors.New("fleet result differs from a single RenderLifecycle")
		}
		disabled := bytes.Contains(res.YAML(), []byte(LifecycleAnnotation+`: disabled`))
		previous := bytes.Contains(res.YAML(), []byte("name: previous-old"))
		if want := lcFor(res.Input); disabled != want.Disabled || previous != (len(want.Previous) > 0) {
			return errors.New("result does not show its life cycle")
		}
		return nil
	})
	if err != nil || n != len(fleet) {
		t.Fatalf("err = %v after %d of %d results", err, n, len(fleet))
	}

	err = r.RenderFleetLifecycle(context.Background(), fleet, func(Input) Lifecycle { return Lifecycle{Purge: true} }, func(Result) error { return nil })
	if err == nil || !strings.Contains(err.Error(), fleet[0].ClusterID()) || !strings.Contains(err.Error(), "lifecycle.purge") {
		t.Fatalf("a purge without disable: err = %v, want one naming the cluster and lifecycle.purge", err)
	}
}
