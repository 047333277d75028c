package admissionpolicy

import (
	"context"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// diffCase is one admission request of the differential corpus.
type diffCase struct {
	name string
	// obj is the object to CREATE; with edit set, the object the UPDATE
	// starts from (created first unless exists).
	obj client.Object
	// exists: obj is already in the cluster (only its name is used).
	exists bool
	// edit, when set, makes the case an UPDATE of the stored obj.
	edit func(client.Object)
	// user is the requester; "" is an administrator.
	user string
	// rbacWarning: an admitted Restore CREATE for which both layers must
	// warn about cluster-scoped RBAC (false: neither may).
	rbacWarning bool
	// kkpMapped: an admitted Backup or Schedule both layers write to the
	// managed BSL instead of KKP's BSL name, with the warning (false:
	// neither may warn).
	kkpMapped bool
	// stricter documents why the webhook denies what the policies admit
	// (it needs other objects, identities or an exact parse). Empty: both
	// layers must agree, on the decision and on the stored spec.
	stricter string
}

// Requesters of the corpus. adminUser is the requester of the user writes
// and the configured managed editor (webhook.managedBSLEditors, in the chart
// values and the webhook's Config alike), so the Restore guardrails exempt
// it; tenantUser is nobody in particular.
const (
	adminUser  = "admin"
	tenantUser = "tenant"
)

// TestDifferentialPoliciesVsWebhook sends one corpus of objects through (a)
// the chart's policies alone (validating and mutating, real kube-apiserver,
// no webhook) and (b) the webhook's own defaulting and validation functions
// (internal/velerorules, called the way webhook/user's handlers call them), and
// asserts they never disagree: same decision, and for admitted objects the
// same stored spec, which the webhook's defaulting leaves unchanged when it
// runs after the policies (both layers on). The only admitted difference is the webhook being
// stricter where it is documented to be (diffCase.stricter); each such case
// must really differ, so the list stays honest.
func TestDifferentialPoliciesVsWebhook(t *testing.T) {
	values := sampleValues(true, true)
	values["webhook"] = map[string]any{"managedBSLEditors": []any{adminUser}}
	c := startClusterWith(t, values, true, true)
	rendered, err := renderTemplates(values, "backupstoragelocation")
	if err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, c.Client.Create(c.ctx, rendered[0]))
	for _, ns := range []string{"app"} {
		wantAllowed(t, c.Client.Create(c.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	cfg := &velerorules.Config{
		Namespace:         sampleNamespace,
		ManagedBSLName:    sampleBSL,
		Managed:           velerorules.Location{Bucket: sampleBucket, Endpoint: sampleEndpoint, Prefix: samplePrefix},
		PreviousLocations: []velerorules.Location{{Bucket: sampleBucket, Endpoint: sampleEndpoint + "/", Prefix: previousPrefix + "/"}},
		VeleroUser:        veleroUser,
		ManagedBSLEditors: []string{adminUser},
	}
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	clients, warnings := map[string]client.Client{}, map[string]*kubeenv.Warnings{}
	for _, u := range []string{adminUser, veleroUser, tenantUser} {
		var err error
		clients[u], warnings[u], err = c.WarningClientAs(u, "system:masters")
		testenv.Must(t, err)
	}
	stricter := 0
	// run sends one case through both layers and compares.
	run := func(t *testing.T, tc diffCase) {
		t.Helper()
		user := tc.user
		if user == "" {
			user = adminUser
		}
		obj, old := tc.obj.DeepCopyObject().(client.Object), client.Object(nil)
		if tc.edit != nil {
			if !tc.exists {
				setup := c.Client
				switch obj.(type) {
				case *velerov1.Backup:
					setup = c.Velero // a Backup with a status exists as Velero wrote it
				case *velerov1.Restore:
					setup = clients[adminUser] // the managed editor may create any Restore
				}
				wantAllowed(t, setup.Create(c.ctx, obj.DeepCopyObject().(client.Object)))
			}
			old = obj.DeepCopyObject().(client.Object)
			if err := c.Client.Get(c.ctx, client.ObjectKeyFromObject(obj), old); err != nil {
				t.Fatal(err)
			}
			obj = old.DeepCopyObject().(client.Object)
			tc.edit(obj)
		}

		// (b) the webhook's functions, on the cluster's current state.
		lookup := c.snapshot(t)
		wObj := obj.DeepCopyObject().(client.Object)
		wErrs, wWarns := webhookAdmit(c.ctx, cfg, lookup, velerorules.User{Name: user}, wObj, old)

		// (a) the policies alone: a dry-run write through the API server.
		pObj := obj.DeepCopyObject().(client.Object)
		warnings[user].Take()
		var pErr error
		if old == nil {
			pErr = clients[user].Create(c.ctx, pObj, client.DryRunAll)
		} else {
			pErr = clients[user].Update(c.ctx, pObj, client.DryRunAll)
		}

		switch {
		case pErr == nil && len(wErrs) == 0:
			if tc.stricter != "" {
				t.Fatalf("documented as webhook-stricter (%s), but both layers admit it", tc.stricter)
			}
			if p, w := specOf(pObj), specOf(wObj); !equality.Semantic.DeepEqual(p, w) {
				t.Fatalf("both admit, but the stored specs differ:\npolicies %+v\nwebhook  %+v", p, w)
			}
			// KKP's BSL name written to the managed BSL: the same
			// annotation and the same warning from both layers.
			if pa, wa := pObj.GetAnnotations()[velerorules.MappedFromAnnotation], wObj.GetAnnotations()[velerorules.MappedFromAnnotation]; pa != wa {
				t.Fatalf("annotation %s: policies %q, webhook %q", velerorules.MappedFromAnnotation, pa, wa)
			}
			if p, w := strings.Contains(warnings[user].String(), kkpWarningText), strings.Contains(strings.Join(wWarns, "\n"), kkpWarningText); p != w || p != tc.kkpMapped {
				t.Fatalf("KKP location warning: policies %v, webhook %v, want %v\npolicies: %q\nwebhook:  %q", p, w, tc.kkpMapped, warnings[user].String(), wWarns)
			}
			if _, ok := obj.(*velerov1.Restore); ok && old == nil {
				p := strings.Contains(warnings[user].String(), rbacWarningText)
				w := strings.Contains(strings.Join(wWarns, "\n"), rbacWarningText)
				if p != tc.rbacWarning || w != tc.rbacWarning {
					t.Fatalf("cluster-scoped RBAC warning: policies %v, webhook %v, want %v\npolicies: %q\nwebhook:  %q", p, w, tc.rbacWarning, warnings[user].String(), wWarns)
				}
			}
			// Both layers on: the webhook runs after the policies and
			// must find nothing left to change.
			again := pObj.DeepCopyObject().(client.Object)
			if _, err := webhookDefault(c.ctx, cfg, lookup, again, old); err != nil {
				t.Fatal(err)
			}
			if p, w := specOf(pObj), specOf(again); !equality.Semantic.DeepEqual(p, w) {
				t.Fatalf("the webhook changes what the policies stored:\npolicies %+v\nthen webhook %+v", p, w)
			}
			// Keep what both admit, so later cases can refer to it.
			if old == nil {
				wantAllowed(t, clients[user].Create(c.ctx, obj.DeepCopyObject().(client.Object)))
			}
		case pErr != nil && len(wErrs) > 0:
			if tc.stricter != "" {
				t.Fatalf("documented as webhook-stricter (%s), but the policies deny it too: %v", tc.stricter, pErr)
			}
			t.Logf("both deny:\n  policies: %v\n  webhook:  %v", pErr, wErrs.ToAggregate())
		case pErr == nil && tc.stricter != "":
			stricter++
			t.Logf("webhook stricter (%s): %v", tc.stricter, wErrs.ToAggregate())
		case pErr == nil:
			t.Fatalf("the policies admit what the webhook denies: %v", wErrs.ToAggregate())
		default:
			t.Fatalf("the policies deny what the webhook admits: %v", pErr)
		}
	}
	for _, tc := range diffCorpus() {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}

	// Velero's own write pattern runs through the combined layers too.
	t.Run("Velero's own writes", func(t *testing.T) { testVeleroWrites(t, c) })

	// Other storage allowed (webhook.allowOtherStorage, in the params of
	// both layers) and a managed endpoint that is an IP literal, so that
	// its respellings can be tried; a previous location on an IPv6
	// literal. The params are the chart's own for these values.
	t.Run("allowOtherStorage", func(t *testing.T) {
		values := sampleValues(true, true)
		values["webhook"] = map[string]any{"managedBSLEditors": []any{adminUser}, "allowOtherStorage": true}
		values["storage"].(map[string]any)["config"].(map[string]any)["s3Url"] = ipEndpoint
		ap := values["admissionPolicies"].(map[string]any)
		ap["previousLocations"] = append(ap["previousLocations"].([]any), map[string]any{"bucket": sampleBucket, "s3Url": ipv6Previous, "prefix": previousPrefix})
		objs, err := renderPolicies(values)
		if err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{}
		if err := c.Client.Get(c.ctx, client.ObjectKey{Namespace: sampleNamespace, Name: paramsName}, cm); err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetKind() == "ConfigMap" {
				cm.Data = map[string]string{}
				for k, v := range o.Object["data"].(map[string]any) {
					cm.Data[k] = v.(string)
				}
			}
		}
		wantAllowed(t, c.Client.Update(c.ctx, cm))
		cfg.AllowOtherStorage = true
		cfg.Managed.Endpoint = ipEndpoint
		cfg.PreviousLocations = append(cfg.PreviousLocations, velerorules.Location{Bucket: sampleBucket, Endpoint: ipv6Previous, Prefix: previousPrefix})
		// The params take effect asynchronously.
		probe := func() error {
			return clients[adminUser].Create(c.ctx, ownKeys(fixtures.BSL("probe", "other-bucket", sampleEndpoint, "x")), client.DryRunAll)
		}
		if err := wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			return probe() == nil, nil
		}); err != nil {
			t.Fatalf("other storage never allowed: %v", probe())
		}
		for _, tc := range otherStorageCorpus() {
			t.Run(tc.name, func(t *testing.T) { run(t, tc) })
		}
	})
	t.Logf("%d corpus cases, %d documented webhook-stricter", len(diffCorpus())+len(otherStorageCorpus()), stricter)
}

// The managed endpoint of the allowOtherStorage run (an IP literal, so
// that its IPv4-mapped spellings can be tried) and a previous location on
// an IPv6 literal.
const (
	ipEndpoint   = "http://10.0.0.5:9000"
	ipv6Previous = "http://[2001:db8::1]:9000"
)

// otherStorageCorpus is the corpus of the allowOtherStorage run: BSLs on
// other storage bring a credential Secret of their own; no BSL but the
// managed one and the read-only previous locations signs with the managed
// credential, whatever its endpoint's spelling; respellings of the managed
// endpoint (ports with leading zeros, IPv4-mapped literals) are the managed
// storage; a previous location is recognised by its canonical endpoint.
func otherStorageCorpus() []diffCase {
	ro := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
		return b
	}
	cred := func(b *velerov1.BackupStorageLocation, name string) *velerov1.BackupStorageLocation {
		b.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "cloud"}
		return b
	}
	labelled := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Labels = map[string]string{"clusterbackup.io/previous-location": "true"}
		return b
	}
	return []diffCase{
		{name: "other/own keys on other storage", obj: ownKeys(fixtures.BSL("o-own", "other-bucket", "https://dr.example.com", "x")), user: tenantUser},
		{name: "other/no credential on other storage", obj: fixtures.BSL("o-none", "other-bucket", "https://dr.example.com", "x"), user: tenantUser},
		{name: "other/empty credential name", obj: cred(fixtures.BSL("o-empty", "other-bucket", "https://dr.example.com", "x"), ""), user: tenantUser},
		{name: "other/the managed Secret on other storage", obj: cred(fixtures.BSL("o-managed", "other-bucket", "https://dr.example.com", "x"), velerorules.DefaultCredentialsSecret), user: tenantUser},
		{name: "other/managed endpoint with a leading-zero port", obj: ownKeys(fixtures.BSL("o-zero", sampleBucket, "http://10.0.0.5:09000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/managed endpoint IPv4-mapped", obj: ownKeys(fixtures.BSL("o-mapped", sampleBucket, "http://[::ffff:10.0.0.5]:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/managed endpoint IPv4-mapped in hex", obj: ownKeys(fixtures.BSL("o-mapped-hex", sampleBucket, "http://[::FFFF:a00:5]:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/managed endpoint IPv4-mapped, expanded", obj: ownKeys(fixtures.BSL("o-mapped-long", sampleBucket, "http://[0:0:0:0:0:ffff:0a00:0005]:00009000/", "kkp/p1/c2")), user: tenantUser},
		{name: "other/managed endpoint IPv4-mapped with a zone", obj: ownKeys(fixtures.BSL("o-mapped-zone", sampleBucket, "http://[::ffff:10.0.0.5%25eth0]:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/managed endpoint on a port beyond 65535", obj: ownKeys(fixtures.BSL("o-big", sampleBucket, "http://10.0.0.5:70000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/IPv4-compatible literal is another address", obj: ownKeys(fixtures.BSL("o-compat", sampleBucket, "http://[::10.0.0.5]:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/the next address", obj: ownKeys(fixtures.BSL("o-next", sampleBucket, "http://[::ffff:10.0.0.6]:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/DNS alias of the managed server, no credential", obj: fixtures.BSL("o-alias", sampleBucket, "http://s3-alias.example.com:9000", "kkp/p1/c2"), user: tenantUser},
		{name: "other/DNS alias of the managed server, the managed Secret", obj: cred(fixtures.BSL("o-alias-managed", sampleBucket, "http://s3-alias.example.com:9000", "kkp/p1/c2"), velerorules.DefaultCredentialsSecret), user: tenantUser},
		{name: "other/DNS alias of the managed server, own keys", obj: ownKeys(fixtures.BSL("o-alias-own", sampleBucket, "http://s3-alias.example.com:9000", "kkp/p1/c2")), user: tenantUser},
		{name: "other/labelled as a previous location", obj: labelled(ro(fixtures.BSL("o-label", "other-bucket", "https://dr.example.com", "x"))), user: tenantUser},
		{name: "other/previous location on IPv6, spelled else", obj: ro(fixtures.BSL("o-prev6", sampleBucket, "http://[2001:0DB8:0:0::0001]:09000", previousPrefix)), user: tenantUser},
		{name: "other/next to the IPv6 previous location", obj: ro(fixtures.BSL("o-prev6-next", sampleBucket, "http://[2001:db8::2]:9000", previousPrefix)), user: tenantUser},
		{name: "other/previous location on other storage, read-write", obj: fixtures.BSL("o-prev-rw", sampleBucket, sampleEndpoint, previousPrefix), user: tenantUser},
		{name: "other/previous location on other storage, read-write, own keys", obj: ownKeys(fixtures.BSL("o-prev-rw-own", sampleBucket, sampleEndpoint, previousPrefix)), user: tenantUser},
		{name: "other/previous location on other storage, read-only", obj: ro(fixtures.BSL("o-prev-ro", sampleBucket, sampleEndpoint, previousPrefix)), user: tenantUser},
		// The read-only KKP-era BSL of the main corpus moved to other
		// storage: read-only it may be, writable not (Backups naming it are
		// written to the managed BSL).
		{name: "other/KKP's name on other storage, read-only, own keys", obj: ro(fixtures.BSL(kkpv1.KKPBSLName, sampleBucket, sampleEndpoint, previousPrefix)), exists: true, user: tenantUser,
			edit: func(o client.Object) {
				ownKeys(ro(o.(*velerov1.BackupStorageLocation))).Spec.ObjectStorage.Bucket = "other-bucket"
			}},
		{name: "other/KKP's name on other storage, read-write, own keys", obj: ro(fixtures.BSL(kkpv1.KKPBSLName, sampleBucket, sampleEndpoint, previousPrefix)), exists: true, user: tenantUser,
			edit: func(o client.Object) {
				b := ownKeys(o.(*velerov1.BackupStorageLocation))
				b.Spec.ObjectStorage.Bucket, b.Spec.AccessMode = "other-bucket", velerov1.BackupStorageLocationAccessModeReadWrite
			}},
		{name: "other/previous location, read-only, own keys", obj: ownKeys(ro(fixtures.BSL("o-prev-own", sampleBucket, sampleEndpoint, previousPrefix))), user: tenantUser},
	}
}

// webhookAdmit runs an object through the webhook's mutating and then
// validating functions the way webhook/user's handlers route them. obj is
// defaulted in place.
func webhookAdmit(ctx context.Context, cfg *velerorules.Config, l velerorules.Lookup, u velerorules.User, obj, old client.Object) (field.ErrorList, admission.Warnings) {
	dw, err := webhookDefault(ctx, cfg, l, obj, old)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}, nil
	}
	errs, w := webhookValidate(ctx, cfg, l, u, obj, old)
	return errs, append(dw, w...)
}

// webhookValidate calls the webhook's validation of obj.
func webhookValidate(ctx context.Context, cfg *velerorules.Config, l velerorules.Lookup, u velerorules.User, obj, old client.Object) (field.ErrorList, admission.Warnings) {
	switch o := obj.(type) {
	case *velerov1.BackupStorageLocation:
		prev, _ := old.(*velerov1.BackupStorageLocation)
		return velerorules.ValidateBSL(ctx, cfg, l, u, o, prev)
	case *velerov1.Backup:
		prev, _ := old.(*velerov1.Backup)
		return velerorules.ValidateBackup(ctx, cfg, l, u, o, prev)
	case *velerov1.Schedule:
		prev, _ := old.(*velerov1.Schedule)
		return velerorules.ValidateSchedule(ctx, cfg, l, u, o, prev)
	case *velerov1.Restore:
		prev, _ := old.(*velerov1.Restore)
		return velerorules.ValidateRestore(ctx, cfg, l, u, o, prev)
	}
	panic(sprintf("webhookAdmit: unexpected %T", obj))
}

// kkpWarningText is the webhook's warning for a Backup or Schedule mapped
// from KKP's BSL name; the policy must say exactly the same.
var kkpWarningText = velerorules.KKPMappingWarning(sampleBSL)

// rbacWarningText is the part both layers' cluster-scoped RBAC warning share.
const rbacWarningText = "may bring back cluster-scoped RBAC (ClusterRoles, ClusterRoleBindings)"

// webhookDefault applies the webhook's defaulting the way webhook/user's
// mutating handlers route it: BSLs and Schedules on CREATE and on
// spec-changing UPDATEs, Backups on CREATE only, Restores never.
func webhookDefault(ctx context.Context, cfg *velerorules.Config, l velerorules.Lookup, obj, old client.Object) (admission.Warnings, error) {
	switch o := obj.(type) {
	case *velerov1.BackupStorageLocation:
		prev, _ := old.(*velerov1.BackupStorageLocation)
		if prev == nil || !equality.Semantic.DeepEqual(prev.Spec, o.Spec) {
			velerorules.DefaultBSL(cfg, o)
		}
	case *velerov1.Backup:
		if old == nil {
			return velerorules.DefaultBackup(ctx, cfg, l, o)
		}
	case *velerov1.Schedule:
		prev, _ := old.(*velerov1.Schedule)
		if prev == nil || !equality.Semantic.DeepEqual(prev.Spec, o.Spec) {
			return velerorules.DefaultSchedule(ctx, cfg, l, o)
		}
	}
	return nil, nil
}

// specOf returns the spec of a Velero object.
func specOf(obj client.Object) any {
	switch o := obj.(type) {
	case *velerov1.BackupStorageLocation:
		return o.Spec
	case *velerov1.Backup:
		return o.Spec
	case *velerov1.Schedule:
		return o.Spec
	case *velerov1.Restore:
		return o.Spec
	}
	panic(sprintf("specOf: unexpected %T", obj))
}

// snapshot is the webhook's view of the cluster: what its informers hold.
func (c *cluster) snapshot(t *testing.T) *velerorules.Objects {
	t.Helper()
	var bsls velerov1.BackupStorageLocationList
	var backups velerov1.BackupList
	var nss corev1.NamespaceList
	for _, l := range []client.ObjectList{&bsls, &backups} {
		if err := c.Client.List(c.ctx, l, client.InNamespace(sampleNamespace)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Client.List(c.ctx, &nss); err != nil {
		t.Fatal(err)
	}
	o := &velerorules.Objects{Locations: bsls.Items, Backups: backups.Items}
	for _, ns := range nss.Items {
		o.Namespaces = append(o.Namespaces, ns.Name)
	}
	return o
}

// Reasons the webhook is stricter, as docs/admission-layers.md lists them.
const (
	whyLookup    = "needs another object (the storage location or Backup must exist and be usable)"
	whyIdentity  = "identity-aware: before InProgress only Velero's service account may fill empty fields"
	whyExactCron = "exact robfig/cron parse (time zone names, @every at least 1m)"
)

// diffCorpus is the shared corpus, in order: later cases use objects that
// earlier ones left in the cluster (a CREATE both layers admit is kept).
func diffCorpus() []diffCase {
	ro := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
		return b
	}
	def := func(b *velerov1.BackupStorageLocation) *velerov1.BackupStorageLocation {
		b.Spec.Default = true
		return b
	}
	managed := &velerov1.BackupStorageLocation{ObjectMeta: meta(sampleBSL)}
	cred := func(name string) *corev1.SecretKeySelector {
		return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "cloud"}
	}
	withCred := func(b *velerov1.BackupStorageLocation, name string) *velerov1.BackupStorageLocation {
		b.Spec.Credential = cred(name)
		return b
	}
	editBSL := func(f func(*velerov1.BackupStorageLocation)) func(client.Object) {
		return func(o client.Object) { f(o.(*velerov1.BackupStorageLocation)) }
	}
	editBackup := func(f func(*velerov1.Backup)) func(client.Object) {
		return func(o client.Object) { f(o.(*velerov1.Backup)) }
	}
	editSchedule := func(f func(*velerov1.Schedule)) func(client.Object) {
		return func(o client.Object) { f(o.(*velerov1.Schedule)) }
	}
	withPhase := func(b *velerov1.Backup, p velerov1.BackupPhase) *velerov1.Backup {
		b.Status.Phase = p
		return b
	}
	withLabel := func(b *velerov1.Backup, k, v string) *velerov1.Backup {
		b.Labels = map[string]string{k: v}
		return b
	}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}
	bothSelectors := func(s *velerov1.BackupSpec) {
		s.LabelSelector = sel
		s.OrLabelSelectors = []*metav1.LabelSelector{sel}
	}
	b := func(name string, f func(*velerov1.Backup)) *velerov1.Backup {
		x := cliBackup(name)
		f(x)
		return x
	}
	sch := func(name, cron string, f func(*velerov1.Schedule)) *velerov1.Schedule {
		x := cliSchedule(name, cron)
		f(x)
		return x
	}
	none := func(*velerov1.Backup) {}
	noneS := func(*velerov1.Schedule) {}
	// rs is a Restore of the synced Backup d-synced (namespace app).
	rs := func(name string, f func(*velerov1.RestoreSpec)) *velerov1.Restore {
		x := restore(name, "d-synced", "")
		f(&x.Spec)
		return x
	}
	mapTo := func(src, dst string) func(*velerov1.RestoreSpec) {
		return func(s *velerov1.RestoreSpec) {
			s.IncludedNamespaces = []string{src}
			s.NamespaceMapping = map[string]string{src: dst}
		}
	}
	editRestore := func(f func(*velerov1.Restore)) func(client.Object) {
		return func(o client.Object) { f(o.(*velerov1.Restore)) }
	}
	yes, no := true, false

	return []diffCase{
		// BackupStorageLocations.
		{name: "bsl/other storage, clean prefix", obj: fixtures.BSL("d-other", "other-bucket", sampleEndpoint, "x")},
		{name: "bsl/other storage, own keys", obj: ownKeys(fixtures.BSL("d-other-own", "other-bucket", sampleEndpoint, "x"))},
		{name: "bsl/other storage, empty segment", obj: fixtures.BSL("d-empty", "other-bucket", sampleEndpoint, "a//b")},
		{name: "bsl/other storage, dotdot", obj: fixtures.BSL("d-dotdot", "other-bucket", sampleEndpoint, "p1/cA/../../p2/cX")},
		{name: "bsl/other storage, dot", obj: fixtures.BSL("d-dot", "other-bucket", sampleEndpoint, "a/./b")},
		{name: "bsl/other storage, leading slash", obj: fixtures.BSL("d-lead", "other-bucket", sampleEndpoint, "/a")},
		{name: "bsl/other storage, backslash", obj: fixtures.BSL("d-bs", "other-bucket", sampleEndpoint, `a\b`)},
		{name: "bsl/other storage, control character", obj: fixtures.BSL("d-ctl", "other-bucket", sampleEndpoint, "a\tb")},
		{name: "bsl/other storage, too long", obj: fixtures.BSL("d-long", "other-bucket", sampleEndpoint, longPrefix(513))},
		{name: "bsl/second default", obj: def(fixtures.BSL("d-default", "other-bucket", sampleEndpoint, "y"))},
		{name: "bsl/same bucket and endpoint", obj: fixtures.BSL("d-same", sampleBucket, sampleEndpoint, "kkp/p1/c2")},
		{name: "bsl/same storage, endpoint spelled else", obj: fixtures.BSL("d-same-case", sampleBucket, "HTTPS://s3.example.com:9000//", "kkp/p1/c2")},
		{name: "bsl/same storage, host with a trailing dot", obj: fixtures.BSL("d-same-dot", sampleBucket, "https://s3.example.com.:9000", "kkp/p1/c2")},
		{name: "bsl/same storage, path /.", obj: fixtures.BSL("d-same-path", sampleBucket, "https://s3.example.com:9000/.", "kkp/p1/c2")},
		{name: "bsl/same storage, other scheme on the same port", obj: fixtures.BSL("d-same-http", sampleBucket, "http://s3.example.com:9000", "kkp/p1/c2")},
		{name: "bsl/same storage, not a URL", obj: fixtures.BSL("d-same-nourl", sampleBucket, "s3.example.com:9000", "kkp/p1/c2")},
		{name: "bsl/same storage, user info", obj: fixtures.BSL("d-same-user", sampleBucket, "https://x@s3.example.com:9000", "kkp/p1/c2")},
		{name: "bsl/managed bucket on another port", obj: fixtures.BSL("d-port", sampleBucket, "https://s3.example.com:9001", "kkp/p1/c2")},
		{name: "bsl/same storage, leading-zero port", obj: ownKeys(fixtures.BSL("d-same-zero", sampleBucket, "https://s3.example.com:09000", "kkp/p1/c2"))},
		{name: "bsl/DNS alias of the managed server", obj: fixtures.BSL("d-alias", sampleBucket, "https://s3-alias.example.com:9000", "kkp/p1/c2")},
		{name: "bsl/managed, endpoint with a leading-zero port", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://s3.example.com:0009000" })},
		{name: "bsl/managed, endpoint with a trailing dot and slash", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://S3.example.com.:9000/" })},
		{name: "bsl/managed, endpoint downgraded to http", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "http://s3.example.com:9000" })},
		{name: "bsl/same storage, inside the cluster prefix", obj: fixtures.BSL("d-nested", sampleBucket, sampleEndpoint, samplePrefix+"/x")},
		{name: "bsl/previous location, read-only", obj: ro(fixtures.BSL("d-prev-ro", sampleBucket, sampleEndpoint, previousPrefix))},
		{name: "bsl/previous location, read-write", obj: fixtures.BSL("d-prev-rw", sampleBucket, sampleEndpoint, previousPrefix)},
		{name: "bsl/previous location, read-only default", obj: def(ro(fixtures.BSL("d-prev-def", sampleBucket, sampleEndpoint, previousPrefix)))},
		// KKP's BSL name, which the managed BSL ("default" here) does not
		// carry: only as a read-only KKP-era location.
		{name: "bsl/KKP's name, previous location, read-write", obj: fixtures.BSL(kkpv1.KKPBSLName, sampleBucket, sampleEndpoint, previousPrefix)},
		{name: "bsl/KKP's name, previous location, read-only", obj: ro(fixtures.BSL(kkpv1.KKPBSLName, sampleBucket, sampleEndpoint, previousPrefix))},
		{name: "bsl/managed, drop default", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Default = false })},
		{name: "bsl/managed, other bucket", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Bucket = "elsewhere" })},
		{name: "bsl/managed, other endpoint", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://evil.example.com" })},
		{name: "bsl/managed, endpoint spelled else", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Config["s3Url"] = "https://S3.example.com:9000/" })},
		{name: "bsl/managed, sibling prefix", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = samplePrefix + "0" })},
		{name: "bsl/managed, parent prefix", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = "kkp/p1" })},
		{name: "bsl/managed, trailing slash", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = samplePrefix + "/" })},
		{name: "bsl/managed, empty prefix", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.ObjectStorage.Prefix = "" })},
		{name: "bsl/managed, foreign credential", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Credential = cred("stolen-keys") })},
		{name: "bsl/managed, managed credential", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) {
			b.Spec.Credential = cred(velerorules.DefaultCredentialsSecret)
		})},
		{name: "bsl/managed, no credential", obj: managed, exists: true, edit: editBSL(func(b *velerov1.BackupStorageLocation) { b.Spec.Credential = nil })},
		{name: "bsl/previous location, read-only, foreign credential", obj: withCred(ro(fixtures.BSL("d-prev-cred", sampleBucket, sampleEndpoint, previousPrefix)), "stolen-keys")},
		{name: "bsl/previous location, read-only, managed credential", obj: withCred(ro(fixtures.BSL("d-prev-mcred", sampleBucket, sampleEndpoint, previousPrefix)), velerorules.DefaultCredentialsSecret)},
		{name: "bsl/other storage, the managed credential", obj: withCred(fixtures.BSL("d-other-cred", "other-bucket", sampleEndpoint, "x"), velerorules.DefaultCredentialsSecret)},
		{name: "bsl/managed, Velero status write", obj: managed, exists: true, user: veleroUser, edit: editBSL(func(b *velerov1.BackupStorageLocation) {
			b.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
		})},

		// Backups.
		{name: "backup/velero CLI", obj: b("d-cli", none)},
		{name: "backup/explicit values", obj: b("d-explicit", func(x *velerov1.Backup) {
			x.Spec.TTL.Duration = 24 * time.Hour
			x.Spec.StorageLocation = sampleBSL
			x.Spec.DefaultVolumesToFsBackup = ptrTo(false)
		})},
		{name: "backup/missing storage location", obj: b("d-nope", func(x *velerov1.Backup) { x.Spec.StorageLocation = "nope" }), stricter: whyLookup},
		{name: "backup/read-only storage location", obj: b("d-to-ro", func(x *velerov1.Backup) { x.Spec.StorageLocation = "d-prev-ro" }), stricter: whyLookup},
		// As KKP's dashboard and KKP's e2e test write them: written to the
		// managed BSL (KKP's name is the read-only KKP-era location here).
		{name: "backup/KKP dashboard, KKP's location name", obj: kkpBackup("d-kkp"), kkpMapped: true},
		{name: "backup/KKP's location name, synced from storage", obj: withPhase(kkpBackup("d-kkp-synced"), velerov1.BackupPhaseCompleted), user: veleroUser},
		{name: "backup/both selectors", obj: b("d-selectors", func(x *velerov1.Backup) { bothSelectors(&x.Spec) })},
		{name: "backup/negative ttl", obj: b("d-negative", func(x *velerov1.Backup) { x.Spec.TTL.Duration = -time.Hour })},
		{name: "backup/synced from storage", obj: withPhase(backup("d-synced"), velerov1.BackupPhaseCompleted), user: veleroUser},
		{name: "backup/synced from storage, of a schedule", obj: withLabel(withPhase(backup("d-nightly-1"), velerov1.BackupPhaseCompleted), velerov1.ScheduleNameLabel, "d-nightly"), user: veleroUser},
		{name: "backup/a user creates a finished one", obj: withPhase(backup("d-forged"), velerov1.BackupPhaseCompleted)},
		{name: "backup/a user expires one", obj: withPhase(backup("d-synced"), velerov1.BackupPhaseCompleted), exists: true, edit: editBackup(func(x *velerov1.Backup) {
			x.Status.Expiration = &metav1.Time{Time: time.Unix(1, 0)}
		})},
		{name: "backup/Velero queues it", obj: cliBackup("d-queue"), user: veleroUser, edit: editBackup(func(x *velerov1.Backup) {
			x.Status.Phase = velerov1.BackupPhaseQueued
			x.Status.QueuePosition = 1
		})},
		{name: "backup/Velero's defaulting pass while ready to start", obj: withPhase(cliBackup("d-run"), velerov1.BackupPhaseReadyToStart), user: veleroUser, edit: editBackup(func(x *velerov1.Backup) {
			x.Spec.SnapshotMoveData = ptrTo(false)
			x.Spec.ItemOperationTimeout.Duration = 4 * time.Hour
			x.Spec.CSISnapshotTimeout.Duration = 10 * time.Minute
			x.Labels = map[string]string{velerov1.StorageLocationLabel: sampleBSL}
			x.Status.Phase = velerov1.BackupPhaseInProgress
		})},
		{name: "backup/user spec change while new", obj: cliBackup("d-user-new"), edit: editBackup(func(x *velerov1.Backup) { x.Spec.IncludedNamespaces = []string{"app"} }), stricter: whyIdentity},
		{name: "backup/user spec change while queued", obj: withPhase(cliBackup("d-user-queued"), velerov1.BackupPhaseQueued), edit: editBackup(func(x *velerov1.Backup) { x.Spec.IncludedNamespaces = []string{"app"} }), stricter: whyIdentity},
		{name: "backup/Velero status write", obj: withPhase(backup("d-progress"), velerov1.BackupPhaseInProgress), user: veleroUser, edit: editBackup(func(x *velerov1.Backup) {
			x.Status.Phase = velerov1.BackupPhaseCompleted
		})},
		{name: "backup/spec change after completion", obj: withPhase(backup("d-done"), velerov1.BackupPhaseCompleted), edit: editBackup(func(x *velerov1.Backup) { x.Spec.TTL.Duration = time.Hour })},
		{name: "backup/labels after completion", obj: withPhase(backup("d-done-labels"), velerov1.BackupPhaseCompleted), edit: editBackup(func(x *velerov1.Backup) { x.Labels = map[string]string{"keep": "yes"} })},

		// Schedules.
		{name: "schedule/velero CLI", obj: sch("d-cli", "@daily", noneS)},
		{name: "schedule/five fields", obj: sch("d-five", "0 1 * * *", noneS)},
		{name: "schedule/every", obj: sch("d-every", "@every 6h", noneS)},
		{name: "schedule/time zone", obj: sch("d-tz", "CRON_TZ=Europe/Berlin 0 3 * * *", noneS)},
		{name: "schedule/not cron", obj: sch("d-not", "not cron", noneS)},
		{name: "schedule/four fields", obj: sch("d-four", "* * * *", noneS)},
		{name: "schedule/six fields", obj: sch("d-six", "0 * * * * *", noneS)},
		{name: "schedule/bad every", obj: sch("d-badevery", "@every 5x", noneS)},
		{name: "schedule/unknown descriptor", obj: sch("d-desc", "@fortnightly", noneS)},
		{name: "schedule/zone without spec", obj: sch("d-zoneonly", "TZ=UTC", noneS)},
		{name: "schedule/empty", obj: sch("d-emptycron", "", noneS)},
		{name: "schedule/every 30s", obj: sch("d-30s", "@every 30s", noneS), stricter: whyExactCron},
		{name: "schedule/hour 25", obj: sch("d-h25", "0 25 * * *", noneS)},
		{name: "schedule/unknown zone", obj: sch("d-zone", "TZ=Nowhere/City 0 1 * * *", noneS), stricter: whyExactCron},
		// robfig/cron's field grammar (issue #29: "0 7 * */ *" was admitted).
		{name: "schedule/step without a number", obj: sch("d-step-none", "0 7 * */ *", noneS)},
		{name: "schedule/step zero", obj: sch("d-step-zero", "*/0 * * * *", noneS)},
		{name: "schedule/two steps", obj: sch("d-step-two", "*/5/2 * * * *", noneS)},
		{name: "schedule/range backwards", obj: sch("d-backwards", "0 5-1 * * *", noneS)},
		{name: "schedule/names backwards", obj: sch("d-names-backwards", "0 1 * dec-jan *", noneS)},
		{name: "schedule/day of week 7", obj: sch("d-dow7", "0 1 * * 7", noneS)},
		{name: "schedule/day of month 0", obj: sch("d-dom0", "0 1 0 * *", noneS)},
		{name: "schedule/two hyphens", obj: sch("d-hyphens", "0 1-2-3 * * *", noneS)},
		{name: "schedule/negative value", obj: sch("d-negative-cron", "-5 * * * *", noneS)},
		{name: "schedule/a name in the hour field", obj: sch("d-name-hour", "0 mon * * *", noneS)},
		{name: "schedule/names, ranges, lists and steps", obj: sch("d-rich", "0,30 */6 1-15/2 JAN-jun,Dec mon-FRI", noneS)},
		{name: "schedule/plus signs and leading zeros", obj: sch("d-plus", "+05 007 +01 0012 00", noneS)},
		{name: "schedule/empty list items", obj: sch("d-empty-items", "0 7 ,1,, * *", noneS)},
		{name: "schedule/star with a range suffix", obj: sch("d-star-range", "0 7 *-x * ?", noneS)},
		{name: "schedule/step on a single value", obj: sch("d-single-step", "5/15 * * * *", noneS)},
		{name: "schedule/template with both selectors", obj: sch("d-tsel", "@daily", func(x *velerov1.Schedule) { bothSelectors(&x.Spec.Template) })},
		{name: "schedule/template with negative ttl", obj: sch("d-tneg", "@daily", func(x *velerov1.Schedule) { x.Spec.Template.TTL.Duration = -time.Hour })},
		{name: "schedule/template on a missing location", obj: sch("d-tnope", "@daily", func(x *velerov1.Schedule) { x.Spec.Template.StorageLocation = "nope" }), stricter: whyLookup},
		{name: "schedule/KKP dashboard, KKP's location name", obj: sch("d-kkp", "0 2 * * *", func(x *velerov1.Schedule) { x.Spec.Template = kkpBackup("t").Spec }), kkpMapped: true},
		{name: "schedule/update to KKP's location name", obj: cliSchedule("d-upd-kkp", "@daily"), edit: editSchedule(func(x *velerov1.Schedule) {
			x.Spec.Template.StorageLocation = kkpv1.KKPBSLName
		}), kkpMapped: true},
		{name: "schedule/update to a bad cron", obj: cliSchedule("d-upd-bad", "@daily"), edit: editSchedule(func(x *velerov1.Schedule) { x.Spec.Schedule = "0 1 * *" })},
		{name: "schedule/update zeroes the template ttl", obj: cliSchedule("d-upd-ttl", "@daily"), edit: editSchedule(func(x *velerov1.Schedule) {
			x.Spec.Template.TTL.Duration = 0
			x.Spec.Template.DefaultVolumesToFsBackup = nil
		})},
		{name: "schedule/Velero status write", obj: cliSchedule("d-upd-status", "@daily"), user: veleroUser, edit: editSchedule(func(x *velerov1.Schedule) {
			x.Status.Phase = velerov1.SchedulePhaseEnabled
		})},

		// Restores.
		{name: "restore/neither source", obj: restore("d-neither", "", "")},
		{name: "restore/both sources", obj: restore("d-both", "d-synced", "d-nightly")},
		{name: "restore/from a backup", obj: restore("d-from-backup", "d-synced", ""), rbacWarning: true},
		{name: "restore/from a schedule", obj: restore("d-from-schedule", "", "d-nightly"), rbacWarning: true},
		{name: "restore/from a missing backup", obj: restore("d-missing", "nope", ""), stricter: whyLookup},
		{name: "restore/from a schedule without backups", obj: restore("d-no-backups", "", "d-five"), stricter: whyLookup},
		{name: "restore/Velero fills the backup name", obj: restore("d-fill", "", "d-nightly"), user: veleroUser, edit: func(o client.Object) {
			r := o.(*velerov1.Restore)
			r.Spec.BackupName = "d-nightly-1"
			r.Status.Phase = velerov1.RestorePhaseInProgress
		}},
		{name: "restore/mapped into kube-system", obj: rs("d-map-system", mapTo("app", "kube-system")), user: tenantUser},
		{name: "restore/mapped into kube-node-lease", obj: rs("d-map-lease", mapTo("app", "kube-node-lease")), user: tenantUser},
		{name: "restore/mapped into kube-public", obj: rs("d-map-public", mapTo("app", "kube-public")), user: tenantUser},
		{name: "restore/mapped into the velero namespace", obj: rs("d-map-velero", mapTo("app", sampleNamespace)), user: tenantUser},
		{name: "restore/mapped into another namespace", obj: rs("d-map-other", mapTo("app", "app-copy")), user: tenantUser},
		{name: "restore/kube-public into itself", obj: rs("d-map-self", mapTo("kube-public", "kube-public")), user: tenantUser},
		{name: "restore/back into kube-public without a mapping", obj: rs("d-back-public", func(s *velerov1.RestoreSpec) {
			s.IncludedNamespaces = []string{"kube-public"}
			s.IncludedResources = []string{"configmaps"}
		}), user: tenantUser},
		{name: "restore/mapped into kube-system by the managed editor", obj: rs("d-map-editor", mapTo("app", "kube-system"))},
		{name: "restore/update maps into kube-system", obj: rs("d-map-later", mapTo("app", "app-2")), user: tenantUser, edit: editRestore(func(r *velerov1.Restore) {
			r.Spec.NamespaceMapping["app"] = "kube-system"
		})},
		{name: "restore/Velero writes the editor's mapped Restore", obj: rs("d-map-editor-run", mapTo("app", "kube-system")), user: veleroUser, edit: editRestore(func(r *velerov1.Restore) {
			r.Status.Phase = velerov1.RestorePhaseInProgress
		})},
		{name: "restore/some namespaces, no cluster resources", obj: rs("d-rbac-ns", func(s *velerov1.RestoreSpec) { s.IncludedNamespaces = []string{"app"} })},
		{name: "restore/cluster resources on", obj: rs("d-rbac-on", func(s *velerov1.RestoreSpec) {
			s.IncludedNamespaces = []string{"app"}
			s.IncludeClusterResources = &yes
		}), rbacWarning: true},
		{name: "restore/cluster resources off", obj: rs("d-rbac-off", func(s *velerov1.RestoreSpec) { s.IncludeClusterResources = &no })},
		{name: "restore/cluster role bindings by name", obj: rs("d-rbac-named", func(s *velerov1.RestoreSpec) {
			s.IncludedResources = []string{"ClusterRoleBindings.rbac.authorization.k8s.io"}
		}), rbacWarning: true},
		{name: "restore/cluster roles excluded, bindings not", obj: rs("d-rbac-half", func(s *velerov1.RestoreSpec) { s.ExcludedResources = []string{"clusterroles"} }), rbacWarning: true},
		{name: "restore/cluster RBAC excluded", obj: rs("d-rbac-excluded", func(s *velerov1.RestoreSpec) {
			s.ExcludedResources = []string{"clusterrole", "clusterrolebindings"}
		})},
	}
}

// longPrefix is a valid-looking prefix of n bytes.
func longPrefix(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
