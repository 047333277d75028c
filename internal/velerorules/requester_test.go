package velerorules

import (
	"context"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// askedAuthorizer records the reviews it is asked and answers allow.
type askedAuthorizer struct {
	allow bool
	asked []authorizationv1.ResourceAttributes
}

func (a *askedAuthorizer) Allowed(_ context.Context, _ User, attrs authorizationv1.ResourceAttributes) (bool, error) {
	a.asked = append(a.asked, attrs)
	return a.allow, nil
}

// TestValidateRequesterDeleteBackupRequests: a DeleteBackupRequest asks the
// cluster-admin review of a Restore (not the Secret reader's of a Backup);
// Velero's service account (its garbage collection), a managed editor and a
// Velero operator pass by name without a review; anyone else is denied
// with a message naming the rule and the consequence. The API-server tests
// (internal/admissionpolicy and webhook/server testRequesterGate) show the
// same through real authorizers.
func TestValidateRequesterDeleteBackupRequests(t *testing.T) {
	cfg := testConfig()
	cfg.VeleroOperators = []string{"bob"}
	if got := RequesterAttributes(ResourceDeleteBackupRequests); got != RequesterAttributes(ResourceRestores) || got.Verb != "*" {
		t.Fatalf("RequesterAttributes(deletebackuprequests) = %+v, want the Restores' cluster-admin review", got)
	}
	for _, name := range []string{velero, applier, "bob"} {
		az := &askedAuthorizer{}
		if errs := ValidateRequester(ctx, cfg, az, User{Name: name}, ResourceDeleteBackupRequests); len(errs) > 0 || len(az.asked) > 0 {
			t.Errorf("%s: errors %v, reviews asked %v; want admitted by name", name, errs, az.asked)
		}
	}
	az := &askedAuthorizer{}
	errs := ValidateRequester(ctx, cfg, az, User{Name: alice}, ResourceDeleteBackupRequests)
	if len(errs) != 1 || errs[0].Field != "metadata" {
		t.Fatalf("alice: %v, want one error on metadata", errs)
	}
	for _, want := range []string{`"alice" may not create or change deletebackuprequests in velero`, "Velero would delete the backup's data in the bucket for good", "do everything in every namespace (cluster-admin)"} {
		if !strings.Contains(errs[0].Detail, want) {
			t.Errorf("denial %q lacks %q", errs[0].Detail, want)
		}
	}
	az.allow = true
	if errs := ValidateRequester(ctx, cfg, az, User{Name: "root"}, ResourceDeleteBackupRequests); len(errs) > 0 {
		t.Errorf("a cluster-admin: %v", errs)
	}
}
