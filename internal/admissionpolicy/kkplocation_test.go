package admissionpolicy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// kkpLocationPolicy is the ValidatingAdmissionPolicy that denies KKP's BSL
// name where nothing can map it.
const kkpLocationPolicy = "clusterbackup-kkp-location"

// testKKPLocationCELOnly is the default admission mode (validating
// policies only, admissionPolicies.mutating.enabled false, no webhook) on a
// cluster migrated from KKP's controller whose CBSL has a prefix: KKP's
// location is kept read-only under KKP's name, the managed BSL is
// "default", and Backups and Schedules arrive as KKP's dashboard writes
// them (storageLocation default-cluster-backup-bsl).
//
//   - Without MutatingAdmissionPolicy (the render's capabilities lack it):
//     the chart's clusterbackup-kkp-location denies them, naming the
//     object, the field, the rule and the fix; the webhook's validation of
//     the same object as written (nothing mapped it) denies it too, for
//     the read-only BSL, so the layers agree; a Backup Velero creates from
//     a KKP-era Schedule is denied too; a Backup on the managed BSL and a
//     Backup Velero syncs from storage pass.
//   - With it: only the mapping is rendered (not the other defaults, which
//     Velero fills): stored with the managed BSL, the annotation and the
//     warning exactly as the webhook's defaulting maps them, and nothing
//     else of the spec changed; Velero's Backup of a KKP-era Schedule is
//     mapped too.
//
// The policies are created on c's API server and deleted again.
func testKKPLocationCELOnly(t *testing.T, c *cluster) {
	values := kkpMigrated(true, false, false)
	kkpBSL := fixtures.BSL(kkpv1.KKPBSLName, sampleBucket, sampleEndpoint, previousPrefix)
	kkpBSL.Spec.AccessMode = velerov1.BackupStorageLocationAccessModeReadOnly
	wantAllowed(t, c.Client.Create(c.ctx, kkpBSL))
	t.Cleanup(func() { _ = c.Client.Delete(context.Background(), kkpBSL) })
	cfg := &velerorules.Config{
		Namespace:         sampleNamespace,
		ManagedBSLName:    sampleBSL,
		Managed:           velerorules.Location{Bucket: sampleBucket, Endpoint: sampleEndpoint, Prefix: samplePrefix},
		PreviousLocations: []velerorules.Location{{Bucket: sampleBucket, Endpoint: sampleEndpoint, Prefix: previousPrefix}},
		VeleroUser:        veleroUser,
		AllowOtherStorage: true,
	}
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	dashboardSchedule := func(name string) *velerov1.Schedule {
		s := cliSchedule(name, "0 2 * * *")
		s.Spec.Template = kkpBackup("t").Spec
		return s
	}

	t.Run("MutatingAdmissionPolicy not served: denied with the fix", func(t *testing.T) {
		objs := c.createKKPPolicies(t, values)
		if got := names(objs); !equalSets(got, []string{"ValidatingAdmissionPolicy/" + kkpLocationPolicy, "ValidatingAdmissionPolicyBinding/" + kkpLocationPolicy}) {
			t.Fatalf("rendered %v, want only the denying policy and its binding", got)
		}
		c.waitDenied(t, kkpLocationPolicy, func() error { return c.Client.Create(c.ctx, kkpBackup("probe-kkp"), client.DryRunAll) })
		fix := `set %s to "` + sampleBSL + `"`
		for _, tc := range []struct {
			obj         client.Object
			edit        func(client.Object)
			kind, field string
		}{
			{obj: kkpBackup("kkp-dashboard"), kind: "Backup", field: "spec.storageLocation"},
			{obj: dashboardSchedule("kkp-dashboard"), kind: "Schedule", field: "spec.template.storageLocation"},
			{obj: cliSchedule("kkp-later", "@daily"), kind: "Schedule", field: "spec.template.storageLocation", edit: func(o client.Object) {
				o.(*velerov1.Schedule).Spec.Template.StorageLocation = kkpv1.KKPBSLName
			}},
		} {
			obj, old := tc.obj.DeepCopyObject().(client.Object), client.Object(nil)
			var err error
			if tc.edit != nil {
				wantAllowed(t, c.Client.Create(c.ctx, obj))
				old = obj.DeepCopyObject().(client.Object)
				tc.edit(obj)
				err = c.Client.Update(c.ctx, obj, client.DryRunAll)
			} else {
				err = c.Client.Create(c.ctx, obj, client.DryRunAll)
			}
			kind := tc.kind
			wantDenied(t, err, kkpLocationPolicy, kind+" "+sampleNamespace+"/"+obj.GetName()+": "+tc.field+": Forbidden",
				`"default-cluster-backup-bsl" is KKP's BSL, kept read-only`, sprintf(fix, tc.field))
			// The webhook's validation of the object as written denies
			// it too: it names a read-only BSL.
			errs, _ := webhookValidate(c.ctx, cfg, c.snapshot(t), velerorules.User{Name: adminUser}, obj.DeepCopyObject().(client.Object), old)
			if len(errs) == 0 {
				t.Fatalf("%s %s: the webhook's validation admits what the policy denies", kind, obj.GetName())
			}
			t.Logf("webhook, unmapped: %v", errs.ToAggregate())
		}
		// On the managed BSL, and synced from storage under KKP's name:
		// admitted.
		wantAllowed(t, c.Client.Create(c.ctx, backup("on-managed"), client.DryRunAll))
		synced := kkpBackup("kkp-synced")
		synced.Status.Phase = velerov1.BackupPhaseCompleted
		wantAllowed(t, c.Velero.Create(c.ctx, synced, client.DryRunAll))
		// A Backup Velero creates from a Schedule kept from KKP's time,
		// still naming KKP's BSL: denied too (Velero logs the message).
		fromSchedule := kkpBackup("kkp-schedule-20260101")
		fromSchedule.Labels = map[string]string{velerov1.ScheduleNameLabel: "kkp-schedule"}
		fromSchedule.Status.Phase = velerov1.BackupPhaseNew
		wantDenied(t, c.Velero.Create(c.ctx, fromSchedule, client.DryRunAll), kkpLocationPolicy, "set spec.storageLocation to")
		c.deleteAll(t, objs)
	})

	t.Run("MutatingAdmissionPolicy served: mapped, nothing else", func(t *testing.T) {
		objs := c.createKKPPolicies(t, values, mapServed)
		want := append([]string{}, kkpMap...)
		if got := names(objs); !equalSets(got, want) {
			t.Fatalf("rendered %v, want %v", got, want)
		}
		cl, w, err := c.WarningClientAs("kkp-dashboard-user", "system:masters")
		testenv.Must(t, err)
		defer func() {
			// Gone again for the subtests after this one: a KKP Backup
			// passes unmapped (the policies take effect asynchronously).
			c.deleteAll(t, objs)
			c.eventually(t, "KKP-location policies still in effect", func() error {
				w.Take()
				b := kkpBackup("probe-kkp")
				b.Annotations = map[string]string{velerorules.MappedFromAnnotation: kkpv1.KKPBSLName}
				if err := cl.Create(c.ctx, b, client.DryRunAll); err != nil {
					return err
				}
				if b.Spec.StorageLocation != kkpv1.KKPBSLName || w.String() != "" {
					return fmt.Errorf("storageLocation %q, warnings %q", b.Spec.StorageLocation, w.String())
				}
				return nil
			})
		}()
		// The MAP, its binding and the warning policy take effect
		// asynchronously; the denying policy of the subtest above goes.
		var last string
		err = wait.PollUntilContextTimeout(c.ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			w.Take()
			b := kkpBackup("probe-kkp")
			if err := cl.Create(ctx, b, client.DryRunAll); err != nil {
				last = err.Error()
				return false, nil
			}
			last = sprintf("storageLocation %q, warnings %q", b.Spec.StorageLocation, w.String())
			return b.Spec.StorageLocation == sampleBSL && strings.Contains(w.String(), kkpWarningText), nil
		})
		if err != nil {
			t.Fatalf("the mapping never became effective: %s", last)
		}
		// A Backup Velero creates from a Schedule kept from KKP's time,
		// still naming KKP's BSL, is mapped like the dashboard's.
		fromSchedule := kkpBackup("kkp-schedule-20260101")
		fromSchedule.Labels = map[string]string{velerov1.ScheduleNameLabel: "kkp-schedule"}
		fromSchedule.Status.Phase = velerov1.BackupPhaseNew
		wantAllowed(t, c.Velero.Create(c.ctx, fromSchedule, client.DryRunAll))
		if fromSchedule.Spec.StorageLocation != sampleBSL || fromSchedule.Annotations[velerorules.MappedFromAnnotation] != kkpv1.KKPBSLName {
			t.Fatalf("Velero's Backup of a KKP-era Schedule stored with storageLocation %q, annotations %v", fromSchedule.Spec.StorageLocation, fromSchedule.Annotations)
		}
		for _, obj := range []client.Object{kkpBackup("kkp-mapped"), dashboardSchedule("kkp-mapped"), cliBackup("cli-untouched"), backup("managed-untouched")} {
			sent := obj.DeepCopyObject().(client.Object)
			w.Take()
			wantAllowed(t, cl.Create(c.ctx, obj))
			// The webhook's defaulting of the same object.
			wObj := sent.DeepCopyObject().(client.Object)
			wWarns, err := webhookDefault(c.ctx, cfg, c.snapshot(t), wObj, nil)
			if err != nil {
				t.Fatal(err)
			}
			mapped := location(sent) == kkpv1.KKPBSLName
			if got, want := location(obj), location(wObj); mapped && got != want {
				t.Fatalf("%s: stored storageLocation %q, the webhook's %q", obj.GetName(), got, want)
			}
			if pa, wa := obj.GetAnnotations()[velerorules.MappedFromAnnotation], wObj.GetAnnotations()[velerorules.MappedFromAnnotation]; pa != wa {
				t.Fatalf("%s: annotation %s: policies %q, webhook %q", obj.GetName(), velerorules.MappedFromAnnotation, pa, wa)
			}
			p, wh := strings.Contains(w.String(), kkpWarningText), strings.Contains(strings.Join(wWarns, "\n"), kkpWarningText)
			if p != wh || p != mapped {
				t.Fatalf("%s: KKP location warning: policies %v, webhook %v, want %v (%q)", obj.GetName(), p, wh, mapped, w.String())
			}
			// Only the mapping: the rest of the spec as sent (Velero
			// fills its own defaults).
			if mapped {
				setLocation(sent, sampleBSL)
			}
			if got, want := specOf(obj), specOf(sent); !equality.Semantic.DeepEqual(got, want) {
				t.Fatalf("%s: stored spec\n%+v\nwant the sent spec with only the location mapped\n%+v", obj.GetName(), got, want)
			}
		}
	})
}

// createKKPPolicies renders the chart's KKP-location objects
// (admission-policies-kkp-location.yaml) for values with apiVersions in the
// capabilities, creates them and returns them.
func (c *cluster) createKKPPolicies(t *testing.T, values map[string]any, apiVersions ...string) []*unstructured.Unstructured {
	t.Helper()
	all, err := renderPoliciesFor(values, apiVersions...)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, o := range all {
		if strings.Contains(o.GetName(), "kkp-location") {
			objs = append(objs, o)
			wantAllowed(t, c.Client.Create(c.ctx, o.DeepCopy()))
		}
	}
	return objs
}

// deleteAll deletes objs (gone already is fine).
func (c *cluster) deleteAll(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := c.Client.Delete(c.ctx, o.DeepCopy()); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
}

// names lists "Kind/name" of objs.
func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

// equalSets reports whether a and b hold the same strings.
func equalSets(a, b []string) bool {
	return equality.Semantic.DeepEqual(sorted(a), sorted(b))
}

// location is the storage location a Backup or a Schedule's template names.
func location(o client.Object) string {
	switch x := o.(type) {
	case *velerov1.Backup:
		return x.Spec.StorageLocation
	case *velerov1.Schedule:
		return x.Spec.Template.StorageLocation
	}
	panic(sprintf("location: unexpected %T", o))
}

// setLocation sets the storage location of a Backup or a Schedule's
// template.
func setLocation(o client.Object, name string) {
	switch x := o.(type) {
	case *velerov1.Backup:
		x.Spec.StorageLocation = name
	case *velerov1.Schedule:
		x.Spec.Template.StorageLocation = name
	}
}
