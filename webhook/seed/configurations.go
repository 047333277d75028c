package seed

import (
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// ConfigurationName names both seed webhook configurations.
const ConfigurationName = "clusterbackup-seed"

// Configurations returns the seed's webhook registrations: the CBSL
// mutating webhook, and the validating webhooks for CBSLs (main resource
// only, so status writes never reach it; deletes too) and Clusters. base
// says how the API server reaches the server; each webhook's path is set
// on a copy of it (Service.Path or URL + path).
func Configurations(base admissionregv1.WebhookClientConfig) (*admissionregv1.MutatingWebhookConfiguration, *admissionregv1.ValidatingWebhookConfiguration) {
	fail := admissionregv1.Fail
	none := admissionregv1.SideEffectClassNone
	at := func(path string) admissionregv1.WebhookClientConfig {
		c := *base.DeepCopy()
		switch {
		case c.Service != nil:
			c.Service.Path = ptr.To(path)
		case c.URL != nil:
			c.URL = ptr.To(*c.URL + path)
		}
		return c
	}
	rule := func(resource string, ops ...admissionregv1.OperationType) []admissionregv1.RuleWithOperations {
		return []admissionregv1.RuleWithOperations{{Operations: ops, Rule: admissionregv1.Rule{
			APIGroups: []string{kkpv1.GroupVersion.Group}, APIVersions: []string{"v1"}, Resources: []string{resource}}}}
	}
	m := &admissionregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigurationName},
		Webhooks: []admissionregv1.MutatingWebhook{{
			Name: "cbsl.mutate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](5), ClientConfig: at(MutateCBSLPath),
			Rules: rule("clusterbackupstoragelocations", admissionregv1.Create, admissionregv1.Update),
		}},
	}
	v := &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigurationName},
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name: "cbsl.validate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](10), ClientConfig: at(ValidateCBSLPath),
			Rules: rule("clusterbackupstoragelocations", admissionregv1.Create, admissionregv1.Update, admissionregv1.Delete),
		}, {
			Name: "cluster.validate.clusterbackup.io", AdmissionReviewVersions: []string{"v1"}, SideEffects: &none, FailurePolicy: &fail,
			TimeoutSeconds: ptr.To[int32](5), ClientConfig: at(ValidateClusterPath),
			Rules: rule("clusters", admissionregv1.Create, admissionregv1.Update),
		}},
	}
	return m, v
}
