package admissionpolicy

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

const bslPolicy = "clusterbackup-bsl"

// testBSLRules drives every BackupStorageLocation rule with a denied object
// and an allowed neighbour.
func testBSLRules(t *testing.T, c *cluster) {
	// The managed BSL exactly as the chart renders it must pass.
	rendered, err := renderTemplates(sampleValues(true, false), "backupstoragelocation")
	if err != nil {
		t.Fatal(err)
	}
	if len(rendered) != 1 {
		t.Fatalf("chart rendered %d BSLs, want 1", len(rendered))
	}
	wantAllowed(t, c.Client.Create(c.ctx, rendered[0]))

	other := func(name, prefix string) *velerov1.BackupStorageLocation {
		return ownKeys(fixtures.BSL(name, "other-bucket", sampleEndpoint, prefix))
	}
	withCredential := func(b *velerov1.BackupStorageLocation, name string) *velerov1.BackupStorageLocation {
		b.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "cloud"}
		return b
	}
	withDefault := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.Default = true
		return b
	}
	readOnly := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
		return b
	}
	creates := map[string]struct {
		obj   *velerov1.BackupStorageLocation
		wants []string // nil: allowed
	}{
		// Prefix rules, on any BSL.
		"empty segment":                {obj: other("p-empty", "a//b"), wants: []string{"spec.objectStorage.prefix", "segment 2 is empty"}},
		"two trailing slashes":         {obj: other("p-trailing2", "a//"), wants: []string{"segment 2 is empty"}},
		"one trailing slash is fine":   {obj: other("p-trailing1", "a/b/")},
		"dot segment":                  {obj: other("p-dot", "a/./b"), wants: []string{`segment 2 is "."`, "path.Join"}},
		"dot inside a name is fine":    {obj: other("p-dotname", "a/.b")},
		"dotdot escapes":               {obj: other("p-dotdot", "p1/cA/../../p2/cX"), wants: []string{`segment 3 is ".."`}},
		"dots in names are fine":       {obj: other("p-dots", "a..b/c.")},
		"leading slash":                {obj: other("p-lead", "/a"), wants: []string{"must not start with '/'"}},
		"no leading slash is fine":     {obj: other("p-nolead", "a")},
		"backslash":                    {obj: other("p-bs", `a\b`), wants: []string{"backslash"}},
		"dash instead is fine":         {obj: other("p-dash", "a-b")},
		"control character":            {obj: other("p-ctl", "a\nb"), wants: []string{"control characters", `"a\nb"`}},
		"C1 control character":         {obj: other("p-c1", "a\u0085b"), wants: []string{"control characters"}},
		"space is fine":                {obj: other("p-space", "a b")},
		"too long":                     {obj: other("p-long", strings.Repeat("a", 513)), wants: []string{"513 bytes long", "at most 512"}},
		"512 bytes is fine":            {obj: other("p-512", strings.Repeat("a", 512))},
		"too long in bytes, not runes": {obj: other("p-long-utf8", strings.Repeat("é", 257)), wants: []string{"514 bytes long"}},
		"bucket root is fine":          {obj: other("p-root", "")},

		// Only the managed BSL is the default.
		"second default":                {obj: withDefault(other("d-second", "x")), wants: []string{"spec.default must be false", `"default" is the only default`}},
		"non-default elsewhere is fine": {obj: other("d-none", "y")},

		// Nobody else on the managed bucket + endpoint.
		"same bucket and endpoint":            {obj: fixtures.BSL("s-same", sampleBucket, sampleEndpoint, "kkp/p1/c2"), wants: []string{"one storage location per cluster", "use another bucket"}},
		"same storage, endpoint spelled else": {obj: fixtures.BSL("s-case", sampleBucket, "HTTPS://S3.EXAMPLE.COM:9000/", "kkp/p1/c2"), wants: []string{"one storage location per cluster"}},
		"same storage, inside the prefix":     {obj: fixtures.BSL("s-nested", sampleBucket, sampleEndpoint, samplePrefix+"/x"), wants: []string{"one storage location per cluster"}},
		"same bucket, other endpoint":         {obj: ownKeys(fixtures.BSL("s-endpoint", sampleBucket, "https://s3.other.example.com", "kkp/p1/c1"))},
		"other bucket, same endpoint":         {obj: ownKeys(fixtures.BSL("s-bucket", "other-bucket", sampleEndpoint, samplePrefix))},
		"same bucket, AWS default endpoint":   {obj: ownKeys(fixtures.BSL("s-aws", sampleBucket, "", samplePrefix))},

		// Endpoint respellings (issue #29): ports are numbers.
		"same storage, leading-zero port":  {obj: ownKeys(fixtures.BSL("s-zero", sampleBucket, "https://s3.example.com:0009000", "kkp/p1/c2")), wants: []string{"one storage location per cluster"}},
		"same storage, port beyond 65535":  {obj: ownKeys(fixtures.BSL("s-big", sampleBucket, "https://s3.example.com:109000", "kkp/p1/c2")), wants: []string{"one storage location per cluster"}},
		"other port of the managed server": {obj: ownKeys(fixtures.BSL("s-port", sampleBucket, "https://s3.example.com:9001", "kkp/p1/c2"))},

		// The managed credential signs for the managed BSL and the read-only
		// previous locations only: another name of the managed server (a
		// DNS alias, which no spelling rule can see) gets nowhere with it.
		"other storage, no credential": {obj: fixtures.BSL("c-none", "other-bucket", sampleEndpoint, "x"),
			wants: []string{"spec.credential names no Secret, so Velero would use its default credentials file", `"velero-cloud-credentials"`, "may use the managed credential"}},
		"other storage, empty credential name": {obj: withCredential(fixtures.BSL("c-empty", "other-bucket", sampleEndpoint, "x"), ""),
			wants: []string{"spec.credential names no Secret"}},
		"other storage, the managed Secret": {obj: withCredential(fixtures.BSL("c-managed", "other-bucket", sampleEndpoint, "x"), "velero-cloud-credentials"),
			wants: []string{`spec.credential.name names the managed credentials Secret "velero-cloud-credentials"`, `only the managed BSL "default"`}},
		"DNS alias of the managed server, no credential": {obj: fixtures.BSL("c-alias", sampleBucket, "https://s3-alias.example.com:9000", "kkp/p1/c2"),
			wants: []string{"may use the managed credential"}},
		"DNS alias of the managed server, own keys": {obj: ownKeys(fixtures.BSL("c-alias-own", sampleBucket, "https://s3-alias.example.com:9000", "kkp/p1/c2"))},
		"labelled as a previous location": {obj: func() *velerov1.BackupStorageLocation {
			b := readOnly(fixtures.BSL("c-label", "other-bucket", sampleEndpoint, "x"))
			b.Labels = map[string]string{"clusterbackup.io/previous-location": "true"}
			return b
		}(), wants: []string{"may use the managed credential"}},
		"previous location with a foreign Secret": {obj: withCredential(readOnly(fixtures.BSL("c-prev", sampleBucket, sampleEndpoint, previousPrefix)), "stolen"),
			wants: []string{`spec.credential.name "stolen": only the managed credentials Secret "velero-cloud-credentials"`}},
		"previous location with the managed Secret": {obj: withCredential(readOnly(fixtures.BSL("c-prev-managed", sampleBucket, sampleEndpoint, previousPrefix)), "velero-cloud-credentials")},

		// The previous location after a storage switch.
		"previous location read-only":               {obj: readOnly(fixtures.BSL("prev-ro", sampleBucket, sampleEndpoint, previousPrefix))},
		"previous location read-only, trailing '/'": {obj: readOnly(fixtures.BSL("prev-ro-slash", sampleBucket, sampleEndpoint+"/", previousPrefix+"/"))},
		"previous location spelled else":            {obj: readOnly(fixtures.BSL("prev-ro-spelled", sampleBucket, "HTTPS://S3.example.com.:09000/", previousPrefix))},
		"previous location read-write":              {obj: fixtures.BSL("prev-rw", sampleBucket, sampleEndpoint, previousPrefix), wants: []string{"one storage location per cluster", "ReadOnly"}},
		"previous location default":                 {obj: withDefault(readOnly(fixtures.BSL("prev-def", sampleBucket, sampleEndpoint, previousPrefix))), wants: []string{"spec.default must be false"}},
		"read-only elsewhere on the managed bucket": {obj: readOnly(fixtures.BSL("prev-other", sampleBucket, sampleEndpoint, "old/p1/c2")), wants: []string{"one storage location per cluster"}},
	}
	for name, tc := range creates {
		t.Run("create/"+name, func(t *testing.T) {
			err := c.Client.Create(c.ctx, tc.obj)
			if tc.wants == nil {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, bslPolicy, append([]string{"BackupStorageLocation velero/" + tc.obj.Name}, tc.wants...)...)
		})
	}

	// Updates of the managed BSL.
	var managed velerov1.BackupStorageLocation
	if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: sampleBSL}, &managed); err != nil {
		t.Fatal(err)
	}
	updates := map[string]struct {
		edit  func(*velerov1.BackupStorageLocation)
		wants []string
	}{
		"drop default":      {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.Default = false }, wants: []string{"spec.default must stay true"}},
		"other spec change": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3ForcePathStyle"] = "true" }},
		"change bucket": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Bucket = "elsewhere" },
			wants: []string{"spec.objectStorage.bucket must stay", `"elsewhere"`}},
		"same bucket": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Bucket = sampleBucket }},
		"change endpoint": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://evil.example.com" },
			wants: []string{"spec.config.s3Url must stay"}},
		"same endpoint spelled else": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://S3.example.com:9000/" }},
		"drop endpoint": {edit: func(b *velerov1.BackupStorageLocation) { delete(b.Spec.Config, "s3Url") },
			wants: []string{"spec.config.s3Url must stay"}},
		"sibling prefix": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = samplePrefix + "0" },
			wants: []string{"exactly the cluster prefix", `"kkp/p1/c1"`, `"kkp/p1/c10"`}},
		"parent prefix": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = "kkp/p1" },
			wants: []string{"exactly the cluster prefix"}},
		"bucket root": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = "" },
			wants: []string{"exactly the cluster prefix"}},
		"escape with dotdot": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = samplePrefix + "/../c2" },
			wants: []string{`segment 4 is ".."`}},
		"prefix with trailing slash": {edit: func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = samplePrefix + "/" }},
		"velero status write": {edit: func(b *velerov1.BackupStorageLocation) {
			b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
			b.Status.Message = "ok"
		}},
		"metadata write": {edit: func(b *velerov1.BackupStorageLocation) { b.Labels["team"] = "a" }},
	}
	for name, tc := range updates {
		t.Run("update-managed/"+name, func(t *testing.T) {
			b := managed.DeepCopy()
			tc.edit(b)
			err := c.Client.Update(c.ctx, b, client.DryRunAll)
			if tc.wants == nil {
				wantAllowed(t, err)
				return
			}
			wantDenied(t, err, bslPolicy, append([]string{"BackupStorageLocation velero/default"}, tc.wants...)...)
		})
	}

	// A non-managed BSL may change, but not into a second default.
	t.Run("update-other", func(t *testing.T) {
		var b velerov1.BackupStorageLocation
		if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: "d-none"}, &b); err != nil {
			t.Fatal(err)
		}
		b.Spec.ObjectStorage.Prefix = "z"
		wantAllowed(t, c.Client.Update(c.ctx, b.DeepCopy(), client.DryRunAll))
		b.Spec.Default = true
		wantDenied(t, c.Client.Update(c.ctx, &b, client.DryRunAll), bslPolicy, "spec.default must be false")
	})

	// Other storage follows the params (webhook.allowOtherStorage): off,
	// a BSL with its own keys elsewhere is denied; the previous location
	// stays admitted.
	t.Run("other storage not allowed", func(t *testing.T) {
		setOtherStorage := func(allow string) {
			t.Helper()
			cm := &corev1.ConfigMap{}
			if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: paramsName}, cm); err != nil {
				t.Fatal(err)
			}
			cm.Data["allowOtherStorage"] = allow
			if err := c.Client.Update(c.ctx, cm); err != nil {
				t.Fatal(err)
			}
		}
		elsewhere := func() error {
			return c.Client.Create(c.ctx, ownKeys(fixtures.BSL("o-elsewhere", "other-bucket", "https://other.example.com", "x")), client.DryRunAll)
		}
		setOtherStorage("false")
		defer func() {
			setOtherStorage("true")
			if err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
				return elsewhere() == nil, nil
			}); err != nil {
				t.Fatalf("other storage not allowed again: %v", elsewhere())
			}
		}()
		c.waitDenied(t, bslPolicy, elsewhere)
		wantDenied(t, elsewhere(), bslPolicy, "BackupStorageLocation velero/o-elsewhere", `is not this cluster's managed storage, and other storage is not allowed (webhook.allowOtherStorage)`)
		wantAllowed(t, c.Client.Create(c.ctx, readOnly(fixtures.BSL("o-prev", sampleBucket, sampleEndpoint, previousPrefix)), client.DryRunAll))
	})
}
