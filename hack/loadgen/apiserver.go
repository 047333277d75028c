package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/webhook/testcert"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// abLabel routes each Backup to one variant through objectSelectors.
const abLabel = "loadgen.clusterbackup.io/variant"

// Variants measured in each round.
var variants = []string{"none", "floor", "floor1", "floorpatch", "ours", "oursmap"}

func runAPIServer(ctx context.Context, bin string, args []string) error {
	fs := flag.NewFlagSet("apiserver", flag.ContinueOnError)
	rounds := fs.Int("rounds", 6, "alternating rounds")
	perRound := fs.Int("per-round", 100, "Backups created per variant per round")
	settle := fs.Duration("settle", 15*time.Second, "wait before measuring: a fresh kube-apiserver spends its first seconds publishing CRD OpenAPI")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := startCluster(ctx, testenv.KubeOptions{})
	if err != nil {
		return err
	}
	defer c.stop()
	ours, oursCA, err := startWebhook(ctx, bin, c, "ours")
	if err != nil {
		return err
	}
	defer ours.stop()
	floor, floorCA, err := startAllowAll(ctx, c)
	if err != nil {
		return err
	}
	defer floor.stop()
	if err := register(ctx, c, ours.base, oursCA, floor.base, floorCA); err != nil {
		return err
	}
	if err := waitRegistered(ctx, c); err != nil {
		return err
	}
	if err := registerMAPVariant(ctx, c, ours.base, oursCA); err != nil {
		return err
	}

	time.Sleep(*settle)
	lat := map[string][]time.Duration{}
	n := 0
	create := func(variant string) error {
		n++
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("b-%s-%d", variant, n), Namespace: "velero", Labels: map[string]string{abLabel: variant}},
			// What `velero backup create --include-namespaces app` sends.
			Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}}
		t := time.Now()
		if err := c.kube.Client.Create(ctx, b); err != nil {
			return fmt.Errorf("create %s: %w", b.Name, err)
		}
		lat[variant] = append(lat[variant], time.Since(t))
		return nil
	}
	// Warm-up: connections to both webhooks and the API server's caches.
	for i := 0; i < 20; i++ {
		for _, v := range variants {
			if err := create(v); err != nil {
				return err
			}
		}
	}
	lat = map[string][]time.Duration{}
	for r := 0; r < *rounds; r++ {
		order := rotate(variants, r)
		for _, v := range order {
			for i := 0; i < *perRound; i++ {
				if err := create(v); err != nil {
					return err
				}
			}
		}
	}
	fmt.Printf("Backup create through kube-apiserver, %d rounds x %d per variant, variants alternating\n", *rounds, *perRound)
	p := map[string][2]time.Duration{}
	for _, v := range variants {
		s := lat[v]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		p[v] = [2]time.Duration{pct(s, 0.5), pct(s, 0.99)}
		fmt.Printf("  %-7s p50=%-9s p99=%s\n", v, round(p[v][0]), round(p[v][1]))
	}
	for i, q := range []string{"p50", "p99"} {
		none := p["none"][i]
		added := func(v string) time.Duration { return p[v][i] - none }
		ratio := func(a, b string) float64 { return float64(added(a)) / float64(added(b)) }
		fmt.Printf("  added %s: floor1=%s floor=%s floorpatch=%s ours=%s oursmap=%s | ours/floor=%.2f ours/floorpatch=%.2f ours/floor1=%.2f oursmap/floor1=%.2f\n", q,
			round(added("floor1")), round(added("floor")), round(added("floorpatch")), round(added("ours")), round(added("oursmap")),
			ratio("ours", "floor"), ratio("ours", "floorpatch"), ratio("ours", "floor1"), ratio("oursmap", "floor1"))
	}
	fmt.Printf("  webhook: %s\n", ours.mem())
	return nil
}

func rotate(s []string, r int) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[(i+r)%len(s)]
	}
	return out
}

// startAllowAll runs this binary's allowall mode as its own process.
func startAllowAll(ctx context.Context, c *cluster) (*proc, []byte, error) {
	certs := c.dir + "/floor-certs"
	ca, err := testcert.Write(certs, "floor")
	if err != nil {
		return nil, nil, err
	}
	port, err := testenv.FreePort()
	if err != nil {
		return nil, nil, err
	}
	hport, err := testenv.FreePort()
	if err != nil {
		return nil, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	health := "127.0.0.1:" + strconv.Itoa(hport)
	p, err := startProc(ctx, self, []string{"allowall", "-port", strconv.Itoa(port), "-cert-dir", certs, "-health-addr", health}, port, ca, "http://"+health+"/readyz")
	return p, ca, err
}

// register installs our configurations (objectSelector variant=ours) and
// the floor's: "floor" with a mutating and a validating hook like ours,
// "floor1" with a single validating hook.
func register(ctx context.Context, c *cluster, oursURL string, oursCA []byte, floorURL string, floorCA []byte) error {
	sel := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{abLabel: v}}
	}
	mwc, vwc := user.Configurations(user.ConfigurationOptions{Name: "ours", URL: oursURL, CABundle: oursCA, ObjectSelector: sel("ours")})
	floorHook := func(name, path, v string) admissionregv1.ValidatingWebhook {
		return admissionregv1.ValidatingWebhook{
			Name:         name + ".floor.loadgen.clusterbackup.io",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: ptr.To(floorURL + path), CABundle: floorCA},
			Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create},
				Rule: admissionregv1.Rule{APIGroups: []string{"velero.io"}, APIVersions: []string{"v1"}, Resources: []string{"backups"}}}},
			FailurePolicy: ptr.To(admissionregv1.Fail), SideEffects: ptr.To(admissionregv1.SideEffectClassNone),
			TimeoutSeconds: ptr.To[int32](5), AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "velero"}},
			ObjectSelector:    sel(v),
		}
	}
	mutating := func(h admissionregv1.ValidatingWebhook) admissionregv1.MutatingWebhook {
		return admissionregv1.MutatingWebhook{
			Name: h.Name, ClientConfig: h.ClientConfig, Rules: h.Rules, FailurePolicy: h.FailurePolicy, SideEffects: h.SideEffects,
			TimeoutSeconds: h.TimeoutSeconds, AdmissionReviewVersions: h.AdmissionReviewVersions, NamespaceSelector: h.NamespaceSelector, ObjectSelector: h.ObjectSelector,
		}
	}
	floorM := &admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}, Webhooks: []admissionregv1.MutatingWebhook{
		mutating(floorHook("mutate", "/mutate", "floor")), mutating(floorHook("mutatepatch", "/mutate-patch", "floorpatch")),
	}}
	floorV := &admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}, Webhooks: []admissionregv1.ValidatingWebhook{
		floorHook("validate", "/validate", "floor"), floorHook("validate1", "/validate", "floor1"), floorHook("validatepatch", "/validate", "floorpatch"),
	}}
	for _, o := range []client.Object{mwc, vwc, floorM, floorV} {
		if err := c.kube.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("register %s: %w", o.GetName(), err)
		}
	}
	return nil
}

// waitRegistered waits until the API server calls our webhook: a dry-run
// Backup on a missing location is denied.
func waitRegistered(ctx context.Context, c *cluster) error {
	b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "velero", Labels: map[string]string{abLabel: "ours"}},
		Spec: velerov1.BackupSpec{StorageLocation: "missing"}}
	for i := 0; i < 100; i++ {
		if err := c.kube.Client.Create(ctx, b.DeepCopy(), client.DryRunAll); err != nil {
			time.Sleep(time.Second) // let the floor's configuration settle too
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("webhook configuration not in effect after 10s")
}
