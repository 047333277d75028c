package release

import (
	"reflect"
	"testing"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

func TestPlanFor(t *testing.T) {
	a, b := newCBSL("a", bucket, "seed-eu"), newCBSL("b", bucket, "seed-us")
	aMoved := newCBSL("a", "other-bucket", "seed-eu")
	aTwin := newCBSL("a-twin", bucket, "seed-eu/") // same storage, another name
	aTwin.Spec.Config["s3Url"] = endpoint + ":443"
	prevA := previousLocation{BSL: "previous-a", CBSL: trimCBSL(a)}
	prevB := previousLocation{BSL: "previous-b", CBSL: trimCBSL(b)}
	const kkp = kkpv1.KKPBSLName
	for name, tc := range map[string]struct {
		cur       *kkpv1.ClusterBackupStorageLocation
		old, want memory
		none      bool
	}{
		"first enable":                     {cur: a, want: memory{Location: trimCBSL(a), BSLName: kkp}},
		"unchanged":                        {cur: a, old: memory{Location: trimCBSL(a), BSLName: kkp}, want: memory{Location: trimCBSL(a), BSLName: kkp}},
		"rendered before KKP's name":       {cur: a, old: memory{Location: trimCBSL(a), BSLName: managedBSLName}, want: memory{Location: trimCBSL(a), BSLName: managedBSLName}},
		"another CBSL":                     {cur: b, old: memory{Location: trimCBSL(a), BSLName: kkp}, want: memory{Location: trimCBSL(b), Previous: []previousLocation{prevA}, BSLName: kkp}},
		"the same CBSL moved":              {cur: aMoved, old: memory{Location: trimCBSL(a), BSLName: kkp}, want: memory{Location: trimCBSL(aMoved), Previous: []previousLocation{prevA}, BSLName: kkp}},
		"the same storage named otherwise": {cur: aTwin, old: memory{Location: trimCBSL(a), BSLName: kkp}, want: memory{Location: trimCBSL(aTwin), BSLName: kkp}},
		"switching back":                   {cur: a, old: memory{Location: trimCBSL(b), Previous: []previousLocation{prevA}, BSLName: kkp}, want: memory{Location: trimCBSL(a), Previous: []previousLocation{prevB}, BSLName: kkp}},
		"moving twice keeps both": {cur: newCBSL("a", "third", "x"), old: memory{Location: trimCBSL(aMoved), Previous: []previousLocation{prevA}, BSLName: kkp},
			want: memory{Location: trimCBSL(newCBSL("a", "third", "x")), Previous: []previousLocation{prevA, {BSL: "previous-a-2", CBSL: trimCBSL(aMoved)}}, BSLName: kkp}},
		"disable":       {old: memory{Location: trimCBSL(a), Previous: []previousLocation{prevB}, BSLName: kkp}, want: memory{Location: trimCBSL(a), Previous: []previousLocation{prevB}, Disabled: true, BSLName: kkp}},
		"re-enable":     {cur: a, old: memory{Location: trimCBSL(a), Disabled: true, BSLName: managedBSLName}, want: memory{Location: trimCBSL(a), BSLName: managedBSLName}},
		"never enabled": {none: true},
	} {
		t.Run(name, func(t *testing.T) {
			c := newCluster("c1", "")
			if tc.cur != nil {
				c = newCluster("c1", tc.cur.Name)
			}
			p, ok := planFor(c, tc.cur, tc.old, false)
			if ok == tc.none {
				t.Fatalf("ok = %v", ok)
			}
			if tc.none {
				return
			}
			if !reflect.DeepEqual(p.mem, tc.want) {
				t.Fatalf("memory\n got %+v\nwant %+v", p.mem, tc.want)
			}
			if p.in.Cluster.StorageLocationName() != tc.want.Location.Name || p.in.CBSL != p.mem.Location || p.lc.Disabled != tc.want.Disabled || p.lc.BSLName != tc.want.BSLName || len(p.lc.Previous) != len(tc.want.Previous) {
				t.Fatalf("render input %+v, life cycle %+v", p.in, p.lc)
			}
			for i, pl := range p.lc.Previous {
				if pl.Name != tc.want.Previous[i].BSL {
					t.Fatalf("previous BSL %d named %q, want %q", i, pl.Name, tc.want.Previous[i].BSL)
				}
			}
			// The state round-trips through the ConfigMap data.
			back, err := parseMemory("cm", p.mem.data())
			if err != nil || !back.equal(p.mem) {
				t.Fatalf("state round trip: %+v, %v", back, err)
			}
		})
	}
}

// TestPlanTakeover: a cluster taken over from KKP's cluster backup keeps
// KKP's BSL read-only on <project>/<cluster> and gets the managed BSL
// "default" when the CBSL has a prefix; without one, KKP's BSL becomes the
// managed BSL in place. Only when enabled first.
func TestPlanTakeover(t *testing.T) {
	withPrefix, noPrefix := newCBSL("a", bucket, "seed-eu"), newCBSL("b", bucket, "")
	p, _ := planFor(newCluster("c1", "a"), withPrefix, memory{}, true)
	if p.mem.BSLName != "default" || len(p.lc.Previous) != 1 || p.lc.Previous[0].Name != kkpv1.KKPBSLName || p.lc.Previous[0].CBSL.Spec.ObjectStorage.Prefix != "" {
		t.Fatalf("takeover with a CBSL prefix: %+v, previous %+v", p.mem, p.lc.Previous)
	}
	if back, err := parseMemory("cm", p.mem.data()); err != nil || !back.equal(p.mem) {
		t.Fatalf("state round trip: %+v, %v", back, err)
	}
	p, _ = planFor(newCluster("c1", "b"), noPrefix, memory{}, true)
	if p.mem.BSLName != kkpv1.KKPBSLName || len(p.lc.Previous) != 0 {
		t.Fatalf("takeover without a CBSL prefix: %+v", p.mem)
	}
	old := memory{Location: trimCBSL(withPrefix), BSLName: kkpv1.KKPBSLName}
	if p, _ = planFor(newCluster("c1", "a"), withPrefix, old, true); p.mem.BSLName != kkpv1.KKPBSLName || len(p.lc.Previous) != 0 {
		t.Fatalf("takeover re-decided for a cluster enabled before: %+v", p.mem)
	}
}

// TestStateBeforeKKPName: state written before the loop remembered the
// managed BSL's name (no bslName key) is a cluster rendered with the
// chart's "default": it keeps that name, so no listed Backup disappears.
func TestStateBeforeKKPName(t *testing.T) {
	d := memory{Location: trimCBSL(newCBSL("a", bucket, "seed-eu"))}.data()
	delete(d, StateKeyBSLName)
	m, err := parseMemory("cm", d)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := planFor(newCluster("c1", "a"), newCBSL("a", bucket, "seed-eu"), m, false)
	if p.mem.BSLName != "default" || p.lc.BSLName != "default" || p.mem.data()[StateKeyBSLName] != "default" {
		t.Fatalf("old state renders the managed BSL %q (stored %q), want default", p.lc.BSLName, p.mem.data()[StateKeyBSLName])
	}
}

func TestTrimCBSLKeepsNoSecretMaterial(t *testing.T) {
	c := newCBSL("a", bucket, "p")
	c.Labels["other"] = "x"
	c.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	c.Status.Message = "ok"
	tr := trimCBSL(c)
	if len(tr.Labels) != 1 || tr.Annotations != nil || tr.Status.Message != "" || tr.Spec.Credential.Name != c.Spec.Credential.Name {
		t.Fatalf("trimmed %+v", tr)
	}
}

// TestKubeVersionOf: the release is rendered for the minor of the version
// KKP writes into the Cluster, or the renderer's default.
func TestKubeVersionOf(t *testing.T) {
	for in, want := range map[string]string{"1.33.5": "v1.33.0", "v1.36.1": "v1.36.0", "": "", "latest": ""} {
		c := &kkpv1.Cluster{Spec: kkpv1.ClusterSpec{Version: in}}
		if got := kubeVersionOf(c); got != want {
			t.Errorf("kubeVersionOf(%q) = %q, want %q", in, got, want)
		}
	}
}
