package user

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/admit"
)

// Register serves every user-cluster webhook on srv. cfg must be completed
// (velerorules.Config.Complete); l answers the rules' reads; m may be nil.
func Register(srv webhook.Server, cfg *velerorules.Config, l velerorules.Lookup, m *admit.Metrics) {
	for path, h := range Handlers(cfg, l, m) {
		srv.Register(path, h)
	}
}

// Handlers returns the handler of each path: each reads an AdmissionReview
// over HTTP and answers one (package admit).
//
// Backups, Schedules, Restores, DownloadRequests and DeleteBackupRequests
// (velerorules.RequesterResources) pass the requester gate (gateRequesters)
// first, with l as the authorizer when it is one (velerorules.Authorizer).
func Handlers(cfg *velerorules.Config, l velerorules.Lookup, m *admit.Metrics) (hs map[string]http.Handler) {
	az, _ := l.(velerorules.Authorizer)
	defer func() { gateRequesters(hs, cfg, az, m) }()
	validateBackup := rule(func(ctx context.Context, u velerorules.User, o, old *velerov1.Backup) (field.ErrorList, admission.Warnings) {
		return velerorules.ValidateBackup(ctx, cfg, l, u, o, old)
	})
	validateBSL := rule(func(ctx context.Context, u velerorules.User, o, old *velerov1.BackupStorageLocation) (field.ErrorList, admission.Warnings) {
		return velerorules.ValidateBSL(ctx, cfg, l, u, o, old)
	})
	return map[string]http.Handler{
		MutateBSLPath: &admit.Mutator[*velerov1.BackupStorageLocation]{
			Endpoint: endpoint(MutateBSLPath, "BackupStorageLocation", m), OnUpdate: true,
			Spec:      func(o *velerov1.BackupStorageLocation) any { return &o.Spec },
			SpecCopy:  func(o *velerov1.BackupStorageLocation) any { return o.Spec.DeepCopy() },
			SpecEqual: func(a, b *velerov1.BackupStorageLocation) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
			Default: func(_ context.Context, o *velerov1.BackupStorageLocation) (admission.Warnings, error) {
				w := velerorules.BSLCorrections(cfg, o)
				velerorules.DefaultBSL(cfg, o)
				return w, nil
			},
			// Like a Backup's, a BSL CREATE or UPDATE costs one webhook
			// call: the defaulted BSL is validated here.
			Validate: validateBSL,
		},
		// Not registered by Configurations (the mutating call validates);
		// served for the configurations of earlier releases.
		ValidateBSLPath: &admit.Validator[*velerov1.BackupStorageLocation]{
			Endpoint: endpoint(ValidateBSLPath, "BackupStorageLocation", m), Validate: validateBSL,
		},
		// Backups are defaulted on CREATE only; Velero's own pass follows.
		// The same call validates the defaulted Backup: a CREATE costs one
		// webhook hop; the validating path checks UPDATEs.
		MutateBackupPath: &admit.Mutator[*velerov1.Backup]{
			Endpoint: endpoint(MutateBackupPath, "Backup", m),
			Spec:     func(o *velerov1.Backup) any { return &o.Spec },
			SpecCopy: func(o *velerov1.Backup) any { return o.Spec.DeepCopy() },
			Default: func(ctx context.Context, o *velerov1.Backup) (admission.Warnings, error) {
				return velerorules.DefaultBackup(ctx, cfg, l, o)
			},
			Validate: validateBackup,
		},
		ValidateBackupPath: &admit.Validator[*velerov1.Backup]{
			Endpoint: endpoint(ValidateBackupPath, "Backup", m), Validate: validateBackup,
		},
		MutateSchedulePath: &admit.Mutator[*velerov1.Schedule]{
			Endpoint: endpoint(MutateSchedulePath, "Schedule", m), OnUpdate: true,
			Spec:      func(o *velerov1.Schedule) any { return &o.Spec },
			SpecCopy:  func(o *velerov1.Schedule) any { return o.Spec.DeepCopy() },
			SpecEqual: func(a, b *velerov1.Schedule) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
			Default: func(ctx context.Context, o *velerov1.Schedule) (admission.Warnings, error) {
				return velerorules.DefaultSchedule(ctx, cfg, l, o)
			},
		},
		ValidateSchedulePath: &admit.Validator[*velerov1.Schedule]{
			Endpoint: endpoint(ValidateSchedulePath, "Schedule", m),
			Validate: rule(func(ctx context.Context, u velerorules.User, o, old *velerov1.Schedule) (field.ErrorList, admission.Warnings) {
				return velerorules.ValidateSchedule(ctx, cfg, l, u, o, old)
			}),
		},
		ValidateRestorePath: &admit.Validator[*velerov1.Restore]{
			Endpoint: endpoint(ValidateRestorePath, "Restore", m),
			Validate: rule(func(ctx context.Context, u velerorules.User, o, old *velerov1.Restore) (field.ErrorList, admission.Warnings) {
				return velerorules.ValidateRestore(ctx, cfg, l, u, o, old)
			}),
		},
	}
}

// userRule is a rule of package velero: it judges obj as requested by u.
type userRule[T client.Object] func(ctx context.Context, u velerorules.User, obj, old T) (field.ErrorList, admission.Warnings)

// rule adapts a rule of package velero to admit: the requester is the
// review's user, and the rules always decide.
func rule[T client.Object](f userRule[T]) admit.ValidateFunc[T] {
	return func(ctx context.Context, req admission.Request, obj, old T) (field.ErrorList, admission.Warnings, error) {
		errs, warns := f(ctx, userOf(req), obj, old)
		return errs, warns, nil
	}
}

// endpoint is the registration of the handler at path for a velero.io/v1
// kind, named as in the webhook configuration (Configurations). Every
// user-cluster handler judges CREATE and UPDATE even where the
// configuration registers one of them only (a Backup CREATE is validated by
// its mutating call), so a configuration of an earlier release, during an
// upgrade, is answered by the rules and not with a 400.
func endpoint(path, kind string, m *admit.Metrics) admit.Endpoint {
	e := admit.Endpoint{Kind: metav1.GroupVersionKind{Group: velerov1.SchemeGroupVersion.Group, Version: velerov1.SchemeGroupVersion.Version, Kind: kind},
		Ops: []admissionv1.Operation{admissionv1.Create, admissionv1.Update}, Metrics: m}
	for prefix, specs := range map[string][]hookSpec{"mutate-": mutating, "validate-": validating} {
		for _, h := range specs {
			if h.path == path {
				e.Hook = prefix + h.name
			}
		}
	}
	if e.Hook == "" { // a path served for earlier configurations only
		e.Hook = strings.TrimPrefix(path, "/")
	}
	return e
}

// userOf is the requester as the rules see it.
func userOf(req admission.Request) velerorules.User {
	extra := make(map[string][]string, len(req.UserInfo.Extra))
	for k, v := range req.UserInfo.Extra {
		extra[k] = v
	}
	return velerorules.User{Name: req.UserInfo.Username, Groups: req.UserInfo.Groups, UID: req.UserInfo.UID, Extra: extra}
}

// Setup registers the user-cluster webhooks with mgr's webhook server,
// looking BSLs and namespaces up in maps fed by mgr's informers and reading
// Backups (for Restore creates) through its API reader, and adds a
// readiness check that passes once those maps hold the initial lists. The
// manager's cache should be limited to cfg.Namespace for Velero's kinds
// (see CacheOptions).
func Setup(ctx context.Context, mgr manager.Manager, cfg *velerorules.Config) error {
	l, err := NewInformerLookup(ctx, mgr.GetCache(), mgr.GetAPIReader(), cfg.Namespace)
	if err != nil {
		return err
	}
	l.Authorizer = &SARAuthorizer{Client: mgr.GetClient()}
	Register(mgr.GetWebhookServer(), cfg, l, admit.NewMetrics(ctrlmetrics.Registry))
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
// (velerorules.MisnamedManagedBSL): a misconfiguration found at start, not at
// the first denial.
func checkManagedName(ctx context.Context, cfg *velerorules.Config, l *InformerLookup) {
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
	if name := velerorules.MisnamedManagedBSL(cfg, bsls); name != "" {
		logf.Log.WithName("admission").Error(nil, "no BSL has the managed name, but another BSL is on the managed location: is --managed-bsl-name wrong?",
			"managedBSLName", cfg.ManagedBSLName, "bsl", name, "namespace", cfg.Namespace)
	}
}
