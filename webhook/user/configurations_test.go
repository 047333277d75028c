package user_test

import (
	"slices"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// TestConfigurationsGateEveryRequesterResource ties the webhook
// registration table to the Go list of requester-gated resources
// (velerorules.RequesterResources): each is sent to the webhook on CREATE
// and on UPDATE, at paths Handlers serves. (The chart's configurations
// equal Configurations: webhook/server TestChartWebhook; the requester gate
// through the API server: webhook/server TestThroughKubeAPIServer.)
func TestConfigurationsGateEveryRequesterResource(t *testing.T) {
	cfg := testConfig()
	testenv.Must(t, cfg.Complete())
	hs := user.Handlers(&cfg, world(), nil)
	mwc, vwc := user.Configurations(user.ConfigurationOptions{ServiceNamespace: "velero", ServiceName: "clusterbackup-webhook"})
	type hook struct {
		rules []admissionregv1.RuleWithOperations
		path  string
	}
	var hooks []hook
	for _, w := range mwc.Webhooks {
		hooks = append(hooks, hook{w.Rules, *w.ClientConfig.Service.Path})
	}
	for _, w := range vwc.Webhooks {
		hooks = append(hooks, hook{w.Rules, *w.ClientConfig.Service.Path})
	}
	for _, resource := range velerorules.RequesterResources() {
		var ops []admissionregv1.OperationType
		for _, h := range hooks {
			for _, r := range h.rules {
				if slices.Contains(r.APIGroups, "velero.io") && slices.Contains(r.Resources, resource) {
					if hs[h.path] == nil {
						t.Errorf("%s: webhook path %s is registered but not served", resource, h.path)
					}
					ops = append(ops, r.Operations...)
				}
			}
		}
		for _, op := range []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update} {
			if !slices.Contains(ops, op) {
				t.Errorf("requester-gated %s: no webhook of Configurations sees its %s", resource, op)
			}
		}
	}
}
