package user

import (
	"context"
	"fmt"
	"net/http"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/webhook/velero"
)

// Register serves every user-cluster webhook on srv. cfg must be completed
// (velero.Config.Complete); l answers the rules' reads; m may be nil.
func Register(srv webhook.Server, cfg *velero.Config, l velero.Lookup, m *Metrics) {
	for path, h := range Handlers(cfg, l, m) {
		srv.Register(path, h)
	}
}

// Handlers returns the handler of each path: each reads an AdmissionReview
// over HTTP and answers one.
//
// Backups, Schedules, Restores and DownloadRequests pass the requester gate
// (gateRequesters) first, with l as the authorizer when it is one
// (velero.Authorizer).
func Handlers(cfg *velero.Config, l velero.Lookup, m *Metrics) (hs map[string]http.Handler) {
	const bsl, backup, schedule, restore = "BackupStorageLocation", "Backup", "Schedule", "Restore"
	validateBackup := func(ctx context.Context, u velero.User, o, old *velerov1.Backup) (field.ErrorList, admission.Warnings) {
		return velero.ValidateBackup(ctx, cfg, l, u, o, old)
	}
	az, _ := l.(velero.Authorizer)
	defer func() { gateRequesters(hs, cfg, az, m) }()
	return map[string]http.Handler{
		MutateBSLPath: &mutator[*velerov1.BackupStorageLocation]{
			kind: bsl, hook: "mutate-bsl", onUpdate: true, metrics: m,
			spec:      func(o *velerov1.BackupStorageLocation) any { return &o.Spec },
			specCopy:  func(o *velerov1.BackupStorageLocation) any { return o.Spec.DeepCopy() },
			specEqual: func(a, b *velerov1.BackupStorageLocation) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
			defaults: func(_ context.Context, o *velerov1.BackupStorageLocation) (admission.Warnings, error) {
				w := velero.BSLCorrections(cfg, o)
				velero.DefaultBSL(cfg, o)
				return w, nil
			},
		},
		ValidateBSLPath: &validator[*velerov1.BackupStorageLocation]{
			kind: bsl, hook: "validate-bsl", metrics: m,
			validate: func(ctx context.Context, u velero.User, o, old *velerov1.BackupStorageLocation) (field.ErrorList, admission.Warnings) {
				return velero.ValidateBSL(ctx, cfg, l, u, o, old)
			},
		},
		// Backups are defaulted on CREATE only; Velero's own pass follows.
		// The same call validates the defaulted Backup: a CREATE costs one
		// webhook hop; the validating path checks UPDATEs.
		MutateBackupPath: &mutator[*velerov1.Backup]{
			kind: backup, hook: "mutate-backup", metrics: m,
			spec:     func(o *velerov1.Backup) any { return &o.Spec },
			specCopy: func(o *velerov1.Backup) any { return o.Spec.DeepCopy() },
			defaults: func(ctx context.Context, o *velerov1.Backup) (admission.Warnings, error) {
				return velero.DefaultBackup(ctx, cfg, l, o)
			},
			validate: validateBackup,
		},
		ValidateBackupPath: &validator[*velerov1.Backup]{
			kind: backup, hook: "validate-backup", metrics: m, validate: validateBackup,
		},
		MutateSchedulePath: &mutator[*velerov1.Schedule]{
			kind: schedule, hook: "mutate-schedule", onUpdate: true, metrics: m,
			spec:      func(o *velerov1.Schedule) any { return &o.Spec },
			specCopy:  func(o *velerov1.Schedule) any { return o.Spec.DeepCopy() },
			specEqual: func(a, b *velerov1.Schedule) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
			defaults: func(ctx context.Context, o *velerov1.Schedule) (admission.Warnings, error) {
				return velero.DefaultSchedule(ctx, cfg, l, o)
			},
		},
		ValidateSchedulePath: &validator[*velerov1.Schedule]{
			kind: schedule, hook: "validate-schedule", metrics: m,
			validate: func(ctx context.Context, u velero.User, o, old *velerov1.Schedule) (field.ErrorList, admission.Warnings) {
				return velero.ValidateSchedule(ctx, cfg, l, u, o, old)
			},
		},
		ValidateRestorePath: &validator[*velerov1.Restore]{
			kind: restore, hook: "validate-restore", metrics: m,
			validate: func(ctx context.Context, u velero.User, o, old *velerov1.Restore) (field.ErrorList, admission.Warnings) {
				return velero.ValidateRestore(ctx, cfg, l, u, o, old)
			},
		},
	}
}

// Setup registers the user-cluster webhooks with mgr's webhook server,
// looking BSLs and namespaces up in maps fed by mgr's informers and reading
// Backups (for Restore creates) through its API reader, and adds a
// readiness check that passes once those maps hold the initial lists. The
// manager's cache should be limited to cfg.Namespace for Velero's kinds
// (see CacheOptions).
func Setup(ctx context.Context, mgr manager.Manager, cfg *velero.Config) error {
	l, err := NewInformerLookup(ctx, mgr.GetCache(), mgr.GetAPIReader(), cfg.Namespace)
	if err != nil {
		return err
	}
	l.Authorizer = &SARAuthorizer{Client: mgr.GetClient()}
	Register(mgr.GetWebhookServer(), cfg, l, NewMetrics(ctrlmetrics.Registry))
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		checkManagedName(ctx, cfg, l)
		return nil
	})); err != nil {
		return fmt.Errorf("add the managed BSL name check: %w", err)
	}
	return mgr.AddReadyzCheck("informers-synced", func(*http.Request) error {
		if !l.HasSynced() {
			return fmt.Errorf("BSL and namespace informers not synced yet")
		}
		return nil
	})
}

// checkManagedName waits for the informers, then logs an error when the
// managed BSL seems to have another name than cfg.ManagedBSLName
// (velero.MisnamedManagedBSL): a misconfiguration found at start, not at
// the first denial.
func checkManagedName(ctx context.Context, cfg *velero.Config, l *InformerLookup) {
	for !l.HasSynced() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	bsls, err := l.BSLs(ctx)
	if err != nil {
		return
	}
	if name := velero.MisnamedManagedBSL(cfg, bsls); name != "" {
		log.Error(nil, "no BSL has the managed name, but another BSL is on the managed location: is --managed-bsl-name wrong?",
			"managedBSLName", cfg.ManagedBSLName, "bsl", name, "namespace", cfg.Namespace)
	}
}
