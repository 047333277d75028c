package user

import (
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// ConfigurationOptions shape the webhook configurations Configurations
// returns; the chart's templates render the same objects.
type ConfigurationOptions struct {
	// Name prefixes the configurations' and webhooks' names. Default
	// "clusterbackup-velero".
	Name string
	// Service is the webhook Service ("namespace/name"), used unless URL is set.
	ServiceNamespace, ServiceName string
	// URL is the base URL of a webhook running outside the cluster; the
	// path of each webhook is appended.
	URL string
	// CABundle is the PEM CA that signed the serving certificate.
	CABundle []byte
	// VeleroNamespace scopes every webhook to Velero's namespace. Default "velero".
	VeleroNamespace string
	// TimeoutSeconds is each webhook's timeout. Default 5.
	TimeoutSeconds int32
	// FailurePolicy is each webhook's failure policy. Default Fail.
	FailurePolicy admissionregv1.FailurePolicyType
	// ObjectSelector, when set, limits every webhook to matching objects
	// (benchmarks use it to route A/B traffic).
	ObjectSelector *metav1.LabelSelector
}

func (o *ConfigurationOptions) defaults() {
	if o.Name == "" {
		o.Name = "clusterbackup-velero"
	}
	if o.VeleroNamespace == "" {
		o.VeleroNamespace = kkpv1.VeleroNamespace
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 5
	}
	if o.FailurePolicy == "" {
		o.FailurePolicy = admissionregv1.Fail
	}
}

// specChanged is a CEL condition that skips UPDATEs leaving the spec alone
// (status and metadata writes), which the rules would admit anyway.
var specChanged = admissionregv1.MatchCondition{
	Name:       "spec-changed",
	Expression: "request.operation != 'UPDATE' || !has(oldObject.spec) || !has(object.spec) || object.spec != oldObject.spec",
}

// hookSpec is one webhook of the configurations.
type hookSpec struct {
	name, path, resource string
	ops                  []admissionregv1.OperationType
	conditions           []admissionregv1.MatchCondition
}

var (
	create       = []admissionregv1.OperationType{admissionregv1.Create}
	update       = []admissionregv1.OperationType{admissionregv1.Update}
	createUpdate = []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update}
	mutating     = []hookSpec{
		{"bsl", MutateBSLPath, "backupstoragelocations", createUpdate, []admissionregv1.MatchCondition{specChanged}},
		{"backup", MutateBackupPath, "backups", create, nil},
		{"schedule", MutateSchedulePath, "schedules", createUpdate, []admissionregv1.MatchCondition{specChanged}},
	}
	validating = []hookSpec{
		// A BSL is validated by its mutating call (one hop), on CREATE and
		// on spec-changing UPDATEs alike.
		// A Backup CREATE is validated by its mutating call (one hop).
		{"backup", ValidateBackupPath, "backups", update, []admissionregv1.MatchCondition{specChanged}},
		{"schedule", ValidateSchedulePath, "schedules", createUpdate, []admissionregv1.MatchCondition{specChanged}},
		// Every spec change of a Restore: the requester gate judges who may
		// edit one Velero has not started (the mapping rule checks changed
		// entries only; Velero's filling of backupName passes both).
		{"restore", ValidateRestorePath, "restores", createUpdate, []admissionregv1.MatchCondition{specChanged}},
		// The requester gate alone (velerorules.ValidateRequester).
		{"downloadrequest", ValidateDownloadRequestPath, "downloadrequests", createUpdate, []admissionregv1.MatchCondition{specChanged}},
		{"deletebackuprequest", ValidateDeleteBackupRequestPath, "deletebackuprequests", createUpdate, []admissionregv1.MatchCondition{specChanged}},
	}
)

// Configurations returns the Mutating and Validating webhook configurations
// of the user-cluster webhooks: explicit timeout, failure policy and
// sideEffects None, scoped to Velero's namespace, UPDATEs without a spec
// change skipped by matchConditions.
func Configurations(o ConfigurationOptions) (*admissionregv1.MutatingWebhookConfiguration, *admissionregv1.ValidatingWebhookConfiguration) {
	o.defaults()
	mwc := &admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: o.Name}}
	for _, h := range mutating {
		c := common(o, h)
		mwc.Webhooks = append(mwc.Webhooks, admissionregv1.MutatingWebhook{
			Name: c.Name, ClientConfig: c.ClientConfig, Rules: c.Rules, FailurePolicy: c.FailurePolicy, MatchPolicy: c.MatchPolicy,
			NamespaceSelector: c.NamespaceSelector, ObjectSelector: c.ObjectSelector, SideEffects: c.SideEffects,
			TimeoutSeconds: c.TimeoutSeconds, AdmissionReviewVersions: c.AdmissionReviewVersions, MatchConditions: c.MatchConditions,
			// Never: the defaults only fill empty fields, and the validating
			// webhooks see the final object anyway. IfNeeded made the API
			// server add ≈ 0.5 ms to every Backup create (hack/loadgen).
			ReinvocationPolicy: ptr.To(admissionregv1.NeverReinvocationPolicy),
		})
	}
	vwc := &admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: o.Name}}
	for _, h := range validating {
		vwc.Webhooks = append(vwc.Webhooks, common(o, h))
	}
	return mwc, vwc
}

func common(o ConfigurationOptions, h hookSpec) admissionregv1.ValidatingWebhook {
	cc := admissionregv1.WebhookClientConfig{CABundle: o.CABundle}
	if o.URL != "" {
		cc.URL = ptr.To(o.URL + h.path)
	} else {
		cc.Service = &admissionregv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: ptr.To(h.path), Port: ptr.To[int32](443)}
	}
	return admissionregv1.ValidatingWebhook{
		Name:         h.name + "." + o.Name + ".clusterbackup.io",
		ClientConfig: cc,
		Rules: []admissionregv1.RuleWithOperations{{
			Operations: h.ops,
			Rule:       admissionregv1.Rule{APIGroups: []string{"velero.io"}, APIVersions: []string{"v1"}, Resources: []string{h.resource}, Scope: ptr.To(admissionregv1.NamespacedScope)},
		}},
		FailurePolicy:           ptr.To(o.FailurePolicy),
		MatchPolicy:             ptr.To(admissionregv1.Equivalent),
		NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": o.VeleroNamespace}},
		ObjectSelector:          o.ObjectSelector,
		SideEffects:             ptr.To(admissionregv1.SideEffectClassNone),
		TimeoutSeconds:          ptr.To(o.TimeoutSeconds),
		AdmissionReviewVersions: []string{"v1"},
		MatchConditions:         h.conditions,
	}
}
