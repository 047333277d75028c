package admissionpolicy

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// kinds lists "Kind/name" of objects.
func kinds(t *testing.T, values map[string]any, apiVersions ...string) []string {
	t.Helper()
	objs, err := renderPoliciesFor(values, apiVersions...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	slices.Sort(out)
	return out
}

var (
	params     = []string{"ConfigMap/" + paramsName, "ValidatingAdmissionPolicy/" + paramsName, "ValidatingAdmissionPolicyBinding/" + paramsName}
	validating = []string{
		"ValidatingAdmissionPolicy/clusterbackup-backup", "ValidatingAdmissionPolicy/clusterbackup-bsl",
		"ValidatingAdmissionPolicy/clusterbackup-requester",
		"ValidatingAdmissionPolicy/clusterbackup-restore", "ValidatingAdmissionPolicy/clusterbackup-restore-warnings",
		"ValidatingAdmissionPolicy/clusterbackup-schedule",
		"ValidatingAdmissionPolicyBinding/clusterbackup-backup", "ValidatingAdmissionPolicyBinding/clusterbackup-bsl",
		"ValidatingAdmissionPolicyBinding/clusterbackup-requester",
		"ValidatingAdmissionPolicyBinding/clusterbackup-restore", "ValidatingAdmissionPolicyBinding/clusterbackup-restore-warnings",
		"ValidatingAdmissionPolicyBinding/clusterbackup-schedule",
	}
	mutating = []string{
		"MutatingAdmissionPolicy/clusterbackup-backups-defaults", "MutatingAdmissionPolicy/clusterbackup-bsl-defaults",
		"MutatingAdmissionPolicy/clusterbackup-schedules-defaults",
		"MutatingAdmissionPolicyBinding/clusterbackup-backups-defaults", "MutatingAdmissionPolicyBinding/clusterbackup-bsl-defaults",
		"MutatingAdmissionPolicyBinding/clusterbackup-schedules-defaults",
	}
	// kkpMap maps KKP's BSL name onto the managed BSL (with the defaults,
	// or on its own for a KKP migration where MutatingAdmissionPolicy is
	// served); kkpDeny denies it where neither it nor the webhook can.
	kkpMap = []string{
		"MutatingAdmissionPolicy/clusterbackup-backups-kkp-location", "MutatingAdmissionPolicy/clusterbackup-schedules-kkp-location",
		"MutatingAdmissionPolicyBinding/clusterbackup-backups-kkp-location", "MutatingAdmissionPolicyBinding/clusterbackup-schedules-kkp-location",
		"ValidatingAdmissionPolicy/clusterbackup-kkp-location-warnings", "ValidatingAdmissionPolicyBinding/clusterbackup-kkp-location-warnings",
	}
	kkpDeny = []string{"ValidatingAdmissionPolicy/clusterbackup-kkp-location", "ValidatingAdmissionPolicyBinding/clusterbackup-kkp-location"}
)

// kkpMigrated are the sample cluster's values after a KKP migration
// (`clusterbackup render --kkp-migrate`, the release loop's takeover):
// KKP's location <projectID>/<clusterID> kept as the read-only BSL under
// KKP's name, the managed BSL "default" on the CBSL's prefix.
func kkpMigrated(validating, mutating, webhook bool) map[string]any {
	v := sampleValues(validating, mutating)
	v["previousLocations"] = []any{map[string]any{"name": kkpv1.KKPBSLName, "bucket": sampleBucket, "config": map[string]any{"s3Url": sampleEndpoint}}}
	v["webhook"] = map[string]any{"enabled": webhook}
	return v
}

// withValue sets the top-level value k of v and returns v.
func withValue(v map[string]any, k string, x any) map[string]any {
	v[k] = x
	return v
}

func sorted(parts ...[]string) []string {
	out := slices.Concat(parts...)
	slices.Sort(out)
	return out
}

// TestChartGating: validating policies are on and mutating ones off by
// default (the webhook mutates); each switch works on its own.
func TestChartGating(t *testing.T) {
	defaults := sampleValues(true, false)
	delete(defaults, "admissionPolicies")
	tests := map[string]struct {
		values map[string]any
		apis   []string
		want   []string
	}{
		"chart defaults":  {values: defaults, want: sorted(params, validating)},
		"validating only": {values: sampleValues(true, false), want: sorted(params, validating)},
		"mutating only":   {values: sampleValues(false, true), want: sorted(params, mutating, kkpMap)},
		"both":            {values: sampleValues(true, true), want: sorted(params, validating, mutating, kkpMap)},
		// A KKP migration (KKP's location kept read-only under its name,
		// the managed BSL "default"): the mapping alone wherever
		// MutatingAdmissionPolicy is served, whatever the switches say...
		"KKP migration, CEL only, MAP served":        {values: kkpMigrated(true, false, false), apis: []string{mapServed}, want: sorted(params, validating, kkpMap)},
		"KKP migration, webhook on, MAP served":      {values: kkpMigrated(true, false, true), apis: []string{mapServed}, want: sorted(params, validating, kkpMap)},
		"KKP migration, policies off, MAP served":    {values: kkpMigrated(false, false, false), apis: []string{mapServed}, want: sorted(params, kkpMap)},
		"KKP migration, mutating on, MAP not served": {values: kkpMigrated(true, true, false), want: sorted(params, validating, mutating, kkpMap)},
		// ...the denial where it is not and no webhook maps...
		"KKP migration, CEL only, MAP not served":     {values: kkpMigrated(true, false, false), want: sorted(params, validating, kkpDeny)},
		"KKP migration, policies off, MAP not served": {values: kkpMigrated(false, false, false), want: sorted(params, kkpDeny)},
		"KKP migration, webhook on, MAP not served":   {values: kkpMigrated(true, false, true), want: sorted(params, validating)},
		"KKP migration, disabled, MAP not served":     {values: withValue(kkpMigrated(true, false, true), "disabled", true), want: sorted(params, validating, kkpDeny)},
		// ...and nothing when the managed BSL carries KKP's name itself.
		"a previous location of another name, MAP not served": {values: withValue(sampleValues(true, false), "previousLocations", []any{
			map[string]any{"name": "previous-minio", "bucket": sampleBucket, "config": map[string]any{"s3Url": sampleEndpoint}},
		}), want: sorted(params, validating)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := kinds(t, tc.values, tc.apis...); !slices.Equal(got, tc.want) {
				t.Fatalf("rendered %v\nwant %v", got, tc.want)
			}
		})
	}
	t.Run("neither", func(t *testing.T) {
		if got := kinds(t, sampleValues(false, false)); len(got) != 0 {
			t.Fatalf("rendered %v with both switches off, want nothing", got)
		}
	})
}

// TestChartParams: the params ConfigMap carries the cluster's managed storage
// and its previous locations, normalized the way the rules compare them.
func TestChartParams(t *testing.T) {
	objs, err := renderPolicies(sampleValues(true, false))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == "ConfigMap" })
	if i < 0 {
		t.Fatal("no params ConfigMap rendered")
	}
	cm := objs[i]
	if cm.GetNamespace() != sampleNamespace {
		t.Errorf("params in namespace %q, want %q", cm.GetNamespace(), sampleNamespace)
	}
	if cm.GetLabels()["app.kubernetes.io/managed-by"] != "clusterbackup" {
		t.Errorf("params labels %v lack the managed-by label", cm.GetLabels())
	}
	want := map[string]any{
		"bslName":    sampleBSL,
		"bucket":     sampleBucket,
		"s3Url":      sampleEndpoint,
		"endpoint":   sampleEndpoint, // already canonical
		"prefix":     samplePrefix,
		"previous.0": sampleBucket + "\n" + sampleEndpoint + "\n" + previousPrefix,
		// The managed credentials Secret (chart default).
		"credentialsSecret": "velero-cloud-credentials",
		// webhook.allowOtherStorage (chart default).
		"allowOtherStorage": "false",
	}
	if got := cm.Object["data"].(map[string]any); !maps.Equal(got, want) {
		t.Fatalf("params data %q\nwant %q", got, want)
	}
}

// TestChartEndpoint: the params' canonical endpoints (the chart's
// velero-managed.endpoint, for the managed endpoint and every previous
// location) are storage.ParseEndpoint's, spelling for spelling: the CEL
// rules compare the object's endpoint, canonicalised in CEL the same way
// (TestDifferentialPoliciesVsWebhook), with these strings.
func TestChartEndpoint(t *testing.T) {
	for _, raw := range []string{
		"https://s3.example.com", "HTTPS://S3.Example.COM.:443/path", "http://s3.example.com", "https://s3.example.com:9000",
		"https://s3.example.com:09000", "https://s3.example.com:0000443", "http://s3.example.com:0", "http://s3.example.com:",
		"http://10.0.0.5:9000", "http://[::ffff:10.0.0.5]:9000", "http://[::FFFF:a00:5]:09000",
		"http://[0:0:0:0:0:ffff:0a00:0005]:9000", "http://[0000:0000:0000:0000:0000:ffff:10.0.0.5]",
		"http://[::10.0.0.5]:9000", "http://[::1]:9000", "http://[0:0:0:0:0:0:0:1]:9000", "http://[::]:9000",
		"http://[2001:DB8::1]", "http://[2001:0db8:0000:0000:0000:0000:0000:0001]:9000", "http://[2001:db8:0:1:0:0:0:1]",
		"http://[2001:0:0:1:0:0:0:1]", "http://[1:0:0:2::3]", "http://[1:2:3:4:5:6:7:8]", "http://[fe80::1%25eth0]:9000",
		"http://[1::2::3]:9000", "http://[12345::1]:9000", "http://[::ffff:10.0.0.256]:9000",
		"https://s3.example.com:65535", "https://s3.example.com:65536", "https://s3.example.com:000000065535", "ftp://s3.example.com",
	} {
		t.Run(raw, func(t *testing.T) {
			values := sampleValues(true, false)
			values["storage"].(map[string]any)["config"].(map[string]any)["s3Url"] = raw
			objs, err := renderPolicies(values)
			if _, perr := url.Parse(raw); perr != nil {
				// Go of this build refuses the URL: so does the chart
				// (sprig's urlParse), and so would Velero.
				if err == nil {
					t.Fatalf("rendered %q, which net/url refuses: %v", raw, perr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == "ConfigMap" })
			got, _, _ := unstructured.NestedString(objs[i].Object, "data", "endpoint")
			want := "?"
			if e, err := storage.ParseEndpoint(raw); err == nil {
				want = e.String()
			}
			if got != want {
				t.Fatalf("chart endpoint %q, storage.ParseEndpoint %q", got, want)
			}
		})
	}
}

// TestChartRejects: bad admission-policy values fail rendering with the
// values path in the message.
func TestChartRejects(t *testing.T) {
	tests := map[string]struct {
		set  func(ap map[string]any)
		want string
	}{
		"unknown key": {set: func(ap map[string]any) { ap["enable"] = true }, want: "additional properties 'enable' not allowed"},
		"previous location without bucket": {set: func(ap map[string]any) {
			ap["previousLocations"] = []any{map[string]any{"prefix": "a"}}
		}, want: "missing property 'bucket'"},
		"previous location with a bad prefix": {set: func(ap map[string]any) {
			ap["previousLocations"] = []any{map[string]any{"bucket": "b", "prefix": "a/../b"}}
		}, want: `admissionPolicies.previousLocations[0].prefix: Invalid value: "a/../b": segment 2 is ".."`},
		"enabled is not a boolean": {set: func(ap map[string]any) { ap["validating"] = map[string]any{"enabled": "yes"} }, want: "validating/enabled"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := sampleValues(true, false)
			tc.set(v["admissionPolicies"].(map[string]any))
			_, err := renderPolicies(v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("render: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
