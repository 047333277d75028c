package seed

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

const wrongSecret = "wrong-secret-Zq81KKx0aBc"

// TestSeedAdmissionEnforce drives the seed webhooks through the real
// kube-apiserver against a real versitygw, in enforce mode with the default
// 3s budget and 60s cache.
func TestSeedAdmissionEnforce(t *testing.T) {
	ctx := context.Background()
	e := startSeed(t, Options{Check: allowLoopback()})
	s := e.s3
	e.secret(t, "good", s.RootAccessKey, s.RootSecretKey)
	e.secret(t, "wrong", s.RootAccessKey, wrongSecret)
	var messages []string // every denial, scanned for secrets at the end

	create := func(c *kkpv1.ClusterBackupStorageLocation, opts ...client.CreateOption) error {
		err := e.c.Create(ctx, c, opts...)
		if err != nil {
			messages = append(messages, err.Error())
		}
		return err
	}
	denied := func(t *testing.T, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want a denial containing %q", err, want)
		}
	}

	t.Run("reachable CBSL admitted and defaulted", func(t *testing.T) {
		c := e.cbsl("reachable", s.Endpoint, "backups", "good")
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		if c.Spec.Provider != "aws" || c.Spec.AccessMode != velerov1.BackupStorageLocationAccessModeReadWrite || c.Spec.Config["s3ForcePathStyle"] != "true" {
			t.Fatalf("mutation not applied: %+v", c.Spec)
		}
	})
	t.Run("wrong secret key denied with the 403 message, without the access key ID", func(t *testing.T) {
		err := create(e.cbsl("wrong-secret", s.Endpoint, "backups", "wrong"))
		denied(t, err, "access denied (HTTP 403, SignatureDoesNotMatch)")
		// A forged review naming another project's Secret must not learn
		// its key ID from the answer.
		if strings.Contains(err.Error(), s.RootAccessKey) {
			t.Fatalf("the denial names the access key ID %q: %v", s.RootAccessKey, err)
		}
	})
	t.Run("missing bucket denied", func(t *testing.T) {
		denied(t, create(e.cbsl("missing-bucket", s.Endpoint, "no-such-bucket", "good")), `bucket "no-such-bucket" does not exist`)
	})
	t.Run("missing secret: admitted unchecked on create (KKP's order), denied on a spec change", func(t *testing.T) {
		c := e.cbsl("missing-secret", s.Endpoint, "backups", "absent")
		if err := create(c); err != nil {
			t.Fatalf("create before its Secret: %v", err)
		}
		if w := e.warnings.String(); !strings.Contains(w, "secret kubermatic/absent not found yet: admitted unchecked") {
			t.Fatalf("warnings = %q", w)
		}
		c.Spec.ObjectStorage.Prefix = "seed-eu-2"
		err := e.c.Update(ctx, c)
		if err != nil {
			messages = append(messages, err.Error())
		}
		denied(t, err, `spec.credential.name: Not found: "absent": no secret kubermatic/absent`)
		if err := e.c.Delete(ctx, c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another project's Secret: answered like a missing one, never used", func(t *testing.T) {
		// A Secret of project p2 holding the store's valid root keys.
		foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "p2-keys", Namespace: e.ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p2"}},
			Data: map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(s.RootAccessKey), kkpv1.CredentialSecretAccessKey: []byte(s.RootSecretKey)}}
		if err := e.c.Create(ctx, foreign); err != nil {
			t.Fatal(err)
		}
		steal := e.cbsl("steal", s.Endpoint, "backups", "p2-keys")
		if err := create(steal); err != nil {
			t.Fatalf("create: %v", err)
		}
		// The same answer as for a name that does not exist: nothing tells
		// p1 that p2's Secret is there, and no S3 request is signed with it.
		if w := e.warnings.String(); !strings.Contains(w, "secret kubermatic/p2-keys not found yet: admitted unchecked") {
			t.Fatalf("warnings = %q, want the missing-Secret warning", w)
		}
		steal.Spec.ObjectStorage.Prefix = "seed-eu-2"
		err := e.c.Update(ctx, steal)
		if err != nil {
			messages = append(messages, err.Error())
		}
		denied(t, err, `spec.credential.name: Not found: "p2-keys": no secret kubermatic/p2-keys of project "p1"`)
		absent := e.cbsl("steal-absent", s.Endpoint, "backups", "never-created")
		if err := create(absent); err != nil {
			t.Fatal(err)
		}
		absent.Spec.ObjectStorage.Prefix = "seed-eu-2"
		errAbsent := e.c.Update(ctx, absent)
		if errAbsent == nil || strings.ReplaceAll(errAbsent.Error(), "never-created", "X") != strings.ReplaceAll(strings.ReplaceAll(err.Error(), "p2-keys", "X"), "steal", "steal-absent") {
			t.Fatalf("a foreign Secret and a missing one are answered differently:\n%v\n%v", err, errAbsent)
		}
		// The neighbour: the same Secret labelled for p1 is admitted and checked.
		own := e.cbsl("own-keys", s.Endpoint, "backups", "good")
		if err := create(own); err != nil {
			t.Fatalf("the project's own Secret: %v", err)
		}
		for _, c := range []client.Object{steal, absent, own} {
			if err := e.c.Delete(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("unknown config key denied listing the known keys", func(t *testing.T) {
		c := e.cbsl("unknown-key", s.Endpoint, "backups", "good")
		c.Spec.Config["endpoint"] = "x"
		err := create(c)
		denied(t, err, `spec.config[endpoint]: Invalid value: "endpoint": unknown config key; the AWS plugin knows only: bucket, caCert`)
		if !apierrors.IsInvalid(err) {
			t.Fatalf("want a 422 Invalid, got %v", err)
		}
	})
	t.Run("closed port refused", func(t *testing.T) {
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		denied(t, create(e.cbsl("closed-port", fmt.Sprintf("http://127.0.0.1:%d", port), "backups", "good")), "refused: nothing listens there")
	})
	t.Run("silent endpoint answered within budget", func(t *testing.T) {
		l := testenv.StartSilentListener(t, "127.0.0.1:0")
		start := time.Now()
		err := create(e.cbsl("silent", "http://"+l.Addr().String(), "backups", "good"))
		took := time.Since(start)
		denied(t, err, "within the 3s budget")
		if took > 3500*time.Millisecond {
			t.Fatalf("admission took %s, budget is 3s", took)
		}
	})
	t.Run("hostile endpoint: endless listing denied with bounded memory", func(t *testing.T) {
		// HeadBucket succeeds, the listing never ends (~1 GB if read in full).
		hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				return
			}
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name>`))
			chunk := []byte(strings.Repeat("<Contents><Key>seed-eu/x</Key><Size>1</Size></Contents>", 1000))
			for range 20000 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer hostile.Close()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := create(e.cbsl("hostile", hostile.URL, "backups", "good"))
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		hostile.CloseClientConnections()
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("FIGURE hostile endpoint denied in %v; the test process (webhook included) allocated %.1f MiB meanwhile", took.Round(time.Millisecond), float64(alloc)/(1<<20))
		denied(t, err, "is larger than 1048576 bytes")
		if strings.Contains(err.Error(), "<Contents>") {
			t.Fatalf("the denial echoes the body: %v", err)
		}
		if alloc > 64<<20 {
			t.Fatalf("admitting a CBSL on a hostile endpoint allocated %d bytes (bound 64 MiB)", alloc)
		}
		// The neighbour: the same CBSL on the real store is admitted.
		ok := e.cbsl("not-hostile", s.Endpoint, "backups", "good")
		if err := create(ok); err != nil {
			t.Fatal(err)
		}
		if err := e.c.Delete(ctx, ok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("self-signed TLS admitted only with caCert", func(t *testing.T) {
		p := testenv.StartCountingProxy(t, s.Endpoint, true)
		c := e.cbsl("self-signed", p.URL, "backups", "good")
		denied(t, create(c.DeepCopy()), "signed by an unknown authority")
		c.Spec.ObjectStorage.CACert = p.CAPEM()
		if err := create(c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("metadata and loopback endpoints denied without a packet", func(t *testing.T) {
		denied(t, create(e.cbsl("metadata", "http://169.254.169.254", "backups", "good")), "endpoint address 169.254.169.254 is not allowed: cloud metadata address")
		denied(t, create(e.cbsl("ecs-metadata", "http://169.254.170.2", "backups", "good")), "cloud metadata address")
		l := testenv.StartSilentListener(t, "127.0.0.2:0")
		denied(t, create(e.cbsl("loopback", "http://"+l.Addr().String(), "backups", "good")), "endpoint address 127.0.0.2 is not allowed: loopback address")
		if n := l.N.Load(); n != 0 {
			t.Fatalf("the denied endpoint saw %d connections, want 0", n)
		}
	})
	t.Run("dry-run checked; second admission within TTL makes no S3 request", func(t *testing.T) {
		p := testenv.StartCountingProxy(t, s.Endpoint, false)
		c := e.cbsl("cached", p.URL, "backups", "good")
		if err := create(c.DeepCopy(), client.DryRunAll); err != nil {
			t.Fatal(err)
		}
		first := p.N.Load()
		if first == 0 {
			t.Fatal("dry-run create made no S3 request; it must be checked like a real one")
		}
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		if n := p.N.Load(); n != first {
			t.Fatalf("second admission made %d S3 requests, want 0 (cached)", n-first)
		}
		bad := e.cbsl("cached-bad", p.URL, "no-such-bucket", "good")
		denied(t, create(bad, client.DryRunAll), "does not exist")
	})
	t.Run("20 concurrent admissions make one S3 check", func(t *testing.T) {
		p := testenv.StartCountingProxy(t, s.Endpoint, false)
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = e.c.Create(ctx, e.cbsl("concurrent", p.URL, "backups", "good"), client.DryRunAll)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := p.N.Load(); n != 2 {
			t.Fatalf("20 concurrent admissions made %d S3 requests, want 2 (one HeadBucket + one ListObjectsV2)", n)
		}
	})
	t.Run("metadata-only update never re-checks, a spec change does", func(t *testing.T) {
		p := testenv.StartCountingProxy(t, s.Endpoint, false)
		c := e.cbsl("then-broken", p.URL, "backups", "good")
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		p.Close() // the endpoint is gone from now on
		c.Annotations = map[string]string{"note": "metadata only"}
		if err := e.c.Update(ctx, c); err != nil {
			t.Fatalf("metadata-only update: %v", err)
		}
		c.Status.Phase = velerov1.BackupStorageLocationPhaseAvailable
		if err := e.c.Status().Update(ctx, c); err != nil {
			t.Fatalf("status update: %v", err)
		}
		c.Spec.ObjectStorage.Prefix = "moved"
		err := e.c.Update(ctx, c)
		if err != nil {
			messages = append(messages, err.Error())
		}
		denied(t, err, "refused")
	})
	t.Run("delete protection and cross-project clusters", func(t *testing.T) {
		c := e.cbsl("in-use", s.Endpoint, "backups", "good")
		if err := create(c); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"cluster-b", "cluster-a"} {
			if err := e.c.Create(ctx, cluster(name, "p1", "in-use")); err != nil {
				t.Fatal(err)
			}
		}
		err := e.c.Delete(ctx, c)
		denied(t, err, `ClusterBackupStorageLocation.kubermatic.k8c.io "in-use" is invalid: metadata.name: Forbidden: still used by 2 cluster(s): cluster-a, cluster-b`)
		err = e.c.Update(ctx, withLabel(c, "p2"))
		denied(t, err, "cannot move to another project while clusters use it: cluster-a, cluster-b")

		err = e.c.Create(ctx, cluster("cluster-x", "p2", "in-use"))
		denied(t, err, `ClusterBackupStorageLocation kubermatic/in-use belongs to project "p1", not to the cluster's project "p2"`)
		err = e.c.Create(ctx, cluster("cluster-y", "p1", "nowhere"))
		denied(t, err, `spec.backupConfig.backupStorageLocation.name: Not found: "nowhere": no ClusterBackupStorageLocation kubermatic/nowhere`)
		moved := cluster("cluster-a", "p1", "in-use")
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(moved), moved); err != nil {
			t.Fatal(err)
		}
		moved.Labels[kkpv1.ProjectIDLabel] = "p2"
		denied(t, e.c.Update(ctx, moved), `belongs to project "p1"`)

		for _, name := range []string{"cluster-a", "cluster-b"} {
			if err := e.c.Delete(ctx, cluster(name, "p1", "in-use")); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.c.Delete(ctx, c); err != nil {
			t.Fatalf("delete of an unused CBSL: %v", err)
		}
	})
	t.Run("metrics count reviews and check results", func(t *testing.T) {
		for _, want := range []struct {
			name   string
			labels map[string]string
		}{
			{"clusterbackup_cbsl_check_results_total", map[string]string{"source": "admission", "class": "AccessDenied", "cached": "false"}},
			{"clusterbackup_cbsl_check_results_total", map[string]string{"source": "admission", "class": "OK", "cached": "true"}},
			{"clusterbackup_cbsl_check_results_total", map[string]string{"source": "admission", "class": "EndpointDenied", "cached": "false"}},
			{"clusterbackup_webhook_reviews_total", map[string]string{"webhook": "validate-cbsl", "operation": "DELETE", "outcome": "denied"}},
			{"clusterbackup_webhook_reviews_total", map[string]string{"webhook": "validate-cbsl", "operation": "CREATE", "outcome": "denied"}},
			{"clusterbackup_webhook_reviews_total", map[string]string{"webhook": "validate-cluster", "operation": "CREATE", "outcome": "denied"}},
			{"clusterbackup_webhook_reviews_total", map[string]string{"webhook": "mutate-cbsl", "operation": "CREATE", "outcome": "patched"}},
			{"clusterbackup_webhook_rule_violations_total", map[string]string{"webhook": "validate-cbsl", "field": "spec.credential", "type": "FieldValueInvalid"}},
		} {
			if v := counterValue(t, want.name, want.labels); v < 1 {
				t.Errorf("%s%v = %v, want >= 1", want.name, want.labels, v)
			}
		}
	})
	t.Run("no secret in logs or messages", func(t *testing.T) {
		assertNoSecret(t, logs.String()+strings.Join(messages, "\n"), s.RootSecretKey, wrongSecret)
		assertNoSecret(t, strings.Join(messages, "\n")+e.warnings.String(), s.RootAccessKey)
		if !strings.Contains(logs.String(), "reachability check") {
			t.Fatal("the webhook logged no reachability check; the scan proves nothing")
		}
	})
}

// TestSeedWarnMode runs warn mode, reading Secrets through the informer
// cache: a failed check admits with a warning, a broken rule still denies.
func TestSeedWarnMode(t *testing.T) {
	ctx := context.Background()
	e := startSeed(t, Options{Mode: ModeWarn, Check: allowLoopback(), CachedSecrets: true})
	s := e.s3
	e.secret(t, "good", s.RootAccessKey, s.RootSecretKey)
	if err := e.c.Create(ctx, e.cbsl("warned", s.Endpoint, "no-such-bucket", "good")); err != nil {
		t.Fatalf("warn mode denied: %v", err)
	}
	if w := e.warnings.String(); !strings.Contains(w, `clusterbackupstoragelocation "warned": S3 check failed (NoSuchBucket)`) {
		t.Fatalf("warnings = %q", w)
	}
	bad := e.cbsl("warned-invalid", s.Endpoint, "Bad_Bucket", "good")
	if err := e.c.Create(ctx, bad); !apierrors.IsInvalid(err) {
		t.Fatalf("invalid CBSL in warn mode: %v", err)
	}
}

func withLabel(c *kkpv1.ClusterBackupStorageLocation, project string) *kkpv1.ClusterBackupStorageLocation {
	c = c.DeepCopy()
	c.Labels[kkpv1.ProjectIDLabel] = project
	return c
}

func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	// client-go dumps response bodies at verbosity 8 (the tests log at 10):
	// a Secret's body must never be among them.
	if i := strings.Index(text, "|k8s.....v1..Secr"); i >= 0 {
		t.Fatalf("a Secret's body was logged: %q", text[max(0, i-200):min(len(text), i+200)])
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			i := strings.Index(text, s)
			t.Fatalf("a secret appears in logs or messages near: %q", text[max(0, i-200):i])
		}
	}
}

// counterValue sums a counter of controller-runtime's registry over the
// series that carry all the given labels.
func counterValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	var sum float64
	for _, m := range testenv.Series(t, name, labels) {
		sum += m.GetCounter().GetValue()
	}
	return sum
}

// TestSeedAreasAndDeletion, through the real kube-apiserver: a CBSL whose
// project area nests inside another project's on the same storage (however
// the endpoint is spelled) is denied naming it, while projects sharing
// bucket and prefix are admitted; a CBSL being deleted still gets its spec
// changes validated.
func TestSeedAreasAndDeletion(t *testing.T) {
	ctx := context.Background()
	e := startSeed(t, Options{Check: allowLoopback()})
	s := e.s3
	e.secret(t, "good", s.RootAccessKey, s.RootSecretKey)
	mk := func(name, project, prefix, endpoint string) *kkpv1.ClusterBackupStorageLocation {
		c := e.cbsl(name, endpoint, "backups", "good")
		c.Labels[kkpv1.ProjectIDLabel] = project
		c.Spec.ObjectStorage.Prefix = prefix
		return c
	}
	if err := e.c.Create(ctx, mk("area-a", "p1", "shared", s.Endpoint)); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Create(ctx, mk("area-b", "p2", "shared", s.Endpoint)); err != nil {
		t.Fatalf("two projects on one bucket and prefix: %v", err)
	}
	respelled := strings.Replace(s.Endpoint, "127.0.0.1", "127.0.0.1.", 1) + "/"
	err := e.c.Create(ctx, mk("area-c", "p3", "shared/p1/c1", respelled))
	if err == nil || !strings.Contains(err.Error(), `nests with "shared/p1" of clusterbackupstoragelocation kubermatic/area-a (project "p1")`) {
		t.Fatalf("nested area: err = %v", err)
	}

	c := mk("going", "p4", "other", s.Endpoint)
	c.Finalizers = []string{"example.com/hold"}
	if err := e.c.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil || c.DeletionTimestamp == nil {
		t.Fatalf("not being deleted: %v", err)
	}
	c.Spec.ObjectStorage.Bucket = "Not_A_Bucket"
	if err := e.c.Update(ctx, c); err == nil || !strings.Contains(err.Error(), "spec.objectStorage.bucket") {
		t.Fatalf("spec change of a CBSL being deleted: err = %v", err)
	}
	c.Spec.ObjectStorage.Bucket = "backups"
	c.Finalizers = nil
	if err := e.c.Update(ctx, c); err != nil {
		t.Fatalf("releasing the finalizer: %v", err)
	}
}
