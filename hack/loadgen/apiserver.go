package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// abLabel routes each Backup to one variant through objectSelectors.
const abLabel = "loadgen.clusterbackup.io/variant"

// variant is one measured way of creating Backups: the webhook
// configuration its objects are routed to (by label) and the spec they carry.
type variant struct {
	name, route string
	// scheduled Backups carry a complete spec, as Velero's schedule
	// controller creates them from a defaulted template: nothing to patch.
	scheduled bool
}

// floor is an allow-all webhook process: floor is one validating hop (the
// issue's floor) over HTTP/1.1 like ours; floormut the floor in the
// mutating phase, where ours must run to default; floorpatch one mutating
// hop that returns the 3-op patch ours returns for a velero-CLI Backup,
// which isolates the API server's cost of applying a patch; floorh2 the
// floor with controller-runtime's default HTTP/2.
type floor struct {
	route, path     string
	http2, mutating bool
}

var floors = []floor{
	{"floor", "/validate", false, false},
	{"floormut", "/mutate", false, true},
	{"floorpatch", "/mutate-patch", false, true},
	{"floorh2", "/validate", true, false},
}

// variants returns every route measured for a velero-CLI Backup and for a
// scheduled one, so every webhook process serves the same share of the
// requests.
func variants(routes []string) []variant {
	var vs []variant
	for _, sched := range []bool{false, true} {
		for _, r := range routes {
			name := r
			if sched {
				name += "/scheduled"
			}
			vs = append(vs, variant{name, r, sched})
		}
	}
	return vs
}

// selectFloors returns the floors named in list (comma-separated; "all").
func selectFloors(list string) ([]floor, error) {
	if list == "all" {
		return floors, nil
	}
	var out []floor
	for _, name := range strings.Split(list, ",") {
		i := slices.IndexFunc(floors, func(f floor) bool { return f.route == name })
		if i < 0 {
			return nil, fmt.Errorf("-floors: no floor %q; have floor, floormut, floorpatch, floorh2", name)
		}
		out = append(out, floors[i])
	}
	return out, nil
}

func runAPIServer(ctx context.Context, bin string, args []string) error {
	fs := flag.NewFlagSet("apiserver", flag.ContinueOnError)
	rounds := fs.Int("rounds", 4000, "alternating rounds")
	perRound := fs.Int("per-round", 1, "Backups created per variant per round (1: variants interleave request by request, so the machine's stalls spread evenly over them)")
	settle := fs.Duration("settle", 15*time.Second, "wait before measuring: a fresh kube-apiserver spends its first seconds publishing CRD OpenAPI")
	fsync := fs.Bool("fsync", false, "let etcd fsync each write (off: the disk's latency spread would drown the webhooks' differences at p99)")
	oursArgs := fs.String("ours-args", "", "extra flags for clusterbackup webhook, space-separated, e.g. --enable-http2")
	bArgs := fs.String("b-args", "", "also measure a second clusterbackup webhook process, route oursb, with these extra flags (an A/B comparison within one run)")
	bBin := fs.String("b-bin", "", "the binary of oursb (default -bin); with -b-args \"\" it still runs, so two builds can be compared")
	floorPprof := fs.String("floor-pprof", "", "ROUTE=ADDR: serve that floor's pprof profiles on ADDR, e.g. floormut=127.0.0.1:6062 (ours: -ours-args=--pprof-addr=...)")
	clusterGC := fs.Int("cluster-gogc", 400, "GOGC of kube-apiserver and etcd (0: Go's default): at 100 their collections were the stalls that made every variant's p99, and two identical allow-all floors differed by up to 1.7x there")
	floorList := fs.String("floors", "all", "allow-all floors to measure, comma-separated: floor, floormut, floorpatch, floorh2")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fls, err := selectFloors(*floorList)
	if err != nil {
		return err
	}
	opts := kubeenv.Options{}
	if !*fsync {
		opts.EtcdArgs = map[string][]string{"unsafe-no-fsync": {"true"}}
	}
	restore := setGOGC(*clusterGC) // for the control plane only
	c, err := startCluster(ctx, opts)
	restore()
	if err != nil {
		return err
	}
	defer c.stop()
	ours, oursCA, err := startWebhook(ctx, bin, c, "ours", strings.Fields(*oursArgs)...)
	if err != nil {
		return err
	}
	defer ours.stop()
	ends := map[string]endpoint{"ours": {ours.base, oursCA}}
	procs := map[string]*proc{"ours": ours}
	routes := []string{"none"}
	if *bArgs != "" || *bBin != "" {
		if *bBin == "" {
			*bBin = bin
		}
		b, bCA, err := startWebhook(ctx, *bBin, c, "oursb", strings.Fields(*oursArgs+" "+*bArgs)...)
		if err != nil {
			return err
		}
		defer b.stop()
		ends["oursb"], procs["oursb"] = endpoint{b.base, bCA}, b
		routes = append(routes, "oursb")
	}
	for _, f := range fls {
		p, ca, err := startAllowAll(ctx, c, f, *floorPprof)
		if err != nil {
			return err
		}
		defer p.stop()
		procs[f.route] = p
		ends[f.route] = endpoint{p.base, ca}
		routes = append(routes, f.route)
	}
	routes = append(routes, "ours")
	if err := register(ctx, c, fls, ends); err != nil {
		return err
	}
	if err := waitRegistered(ctx, c); err != nil {
		return err
	}

	time.Sleep(*settle)
	vs := variants(routes)
	lat := map[string][]time.Duration{}
	n := 0
	create := func(v variant) error {
		n++
		// What `velero backup create --include-namespaces app` sends.
		spec := velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}
		if v.scheduled {
			spec.TTL = metav1.Duration{Duration: 24 * time.Hour}
			spec.StorageLocation = "default"
			spec.DefaultVolumesToFsBackup = ptr.To(true)
		}
		b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("b-%d", n), Namespace: "velero", Labels: map[string]string{abLabel: v.route}}, Spec: spec}
		t := time.Now()
		if err := c.kube.Client.Create(ctx, b); err != nil {
			return fmt.Errorf("create %s: %w", b.Name, err)
		}
		lat[v.name] = append(lat[v.name], time.Since(t))
		return nil
	}
	// Warm-up: connections to every webhook and the API server's caches.
	for i := 0; i < 20; i++ {
		for _, v := range vs {
			if err := create(v); err != nil {
				return err
			}
		}
	}
	lat = map[string][]time.Duration{}
	cpu0 := map[string]time.Duration{}
	for r, p := range procs {
		cpu0[r] = p.cpu()
	}
	for r := 0; r < *rounds; r++ {
		for _, v := range rotate(vs, r) {
			for i := 0; i < *perRound; i++ {
				if err := create(v); err != nil {
					return err
				}
			}
		}
	}
	fmt.Printf("Backup create through kube-apiserver, %d rounds x %d per variant, variants alternating, etcd fsync %v\n", *rounds, *perRound, *fsync)
	p := map[string][2]time.Duration{}
	for _, v := range vs {
		s := lat[v.name]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		p[v.name] = [2]time.Duration{pct(s, 0.5), pct(s, 0.99)}
		fmt.Printf("  %-20s p50=%-9s p99=%s\n", v.name, round(p[v.name][0]), round(p[v.name][1]))
	}
	for _, spec := range []struct{ what, suffix string }{{"velero-CLI Backup (3 defaults to fill)", ""}, {"scheduled Backup (nothing to fill)", "/scheduled"}} {
		for i, q := range []string{"p50", "p99"} {
			added := func(route string) time.Duration { return p[route+spec.suffix][i] - p["none"+spec.suffix][i] }
			fmt.Printf("  added %s, %s:", q, spec.what)
			for _, r := range routes[1:] {
				fmt.Printf(" %s=%s", r, round(added(r)))
			}
			fmt.Printf(" |")
			for _, r := range routes[1 : len(routes)-1] {
				fmt.Printf(" ours/%s=%.2f", r, float64(added("ours"))/float64(added(r)))
			}
			fmt.Println()
		}
	}
	// Each process serves a velero-CLI and a scheduled Backup per round.
	fmt.Printf("  CPU per review, all threads of each webhook process:")
	for _, r := range routes[1:] {
		fmt.Printf(" %s=%s", r, round((procs[r].cpu()-cpu0[r])/time.Duration(2**rounds**perRound)))
	}
	fmt.Println()
	fmt.Printf("  webhook: %s\n", ours.mem())
	return nil
}

// setGOGC sets $GOGC to pct (unless 0), for the processes started next, and
// returns the function that puts $GOGC back as it was.
func setGOGC(pct int) (restore func()) {
	prev, had := os.LookupEnv("GOGC")
	if pct > 0 {
		os.Setenv("GOGC", strconv.Itoa(pct))
	}
	return func() {
		if had {
			os.Setenv("GOGC", prev)
		} else {
			os.Unsetenv("GOGC")
		}
	}
}

// endpoint is a webhook server's base URL and CA.
type endpoint struct {
	url string
	ca  []byte
}

func rotate[T any](s []T, r int) []T {
	out := make([]T, len(s))
	for i := range s {
		out[i] = s[(i+r)%len(s)]
	}
	return out
}

// startAllowAll runs this binary's allowall mode as its own process.
func startAllowAll(ctx context.Context, c *cluster, f floor, floorPprof string) (*proc, []byte, error) {
	s, err := newServing(c, f.route)
	if err != nil {
		return nil, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	args := []string{"allowall", "-port", strconv.Itoa(s.port), "-cert-dir", s.certDir, "-health-addr", s.health, "-http2=" + strconv.FormatBool(f.http2)}
	if route, addr, _ := strings.Cut(floorPprof, "="); route == f.route {
		args = append(args, "-pprof-addr", addr)
	}
	p, err := startProc(ctx, self, args, s)
	return p, s.ca, err
}

// register installs our configurations (objectSelector variant=ours) and
// one allow-all hook per floor, selecting its route's Backups.
func register(ctx context.Context, c *cluster, fls []floor, ends map[string]endpoint) error {
	sel := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{abLabel: v}}
	}
	var objs []client.Object
	for _, name := range []string{"ours", "oursb"} {
		if e, ok := ends[name]; ok {
			mwc, vwc := user.Configurations(user.ConfigurationOptions{Name: name, URL: e.url, CABundle: e.ca, ObjectSelector: sel(name)})
			objs = append(objs, mwc, vwc)
		}
	}
	floorM := &admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}}
	floorV := &admissionregv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "floor"}}
	for _, f := range fls {
		e := ends[f.route]
		h := admissionregv1.ValidatingWebhook{
			Name:         f.route + ".floor.loadgen.clusterbackup.io",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: ptr.To(e.url + f.path), CABundle: e.ca},
			Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create},
				Rule: admissionregv1.Rule{APIGroups: []string{"velero.io"}, APIVersions: []string{"v1"}, Resources: []string{"backups"}}}},
			FailurePolicy: ptr.To(admissionregv1.Fail), SideEffects: ptr.To(admissionregv1.SideEffectClassNone),
			TimeoutSeconds: ptr.To[int32](5), AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "velero"}},
			ObjectSelector:    sel(f.route),
		}
		if !f.mutating {
			floorV.Webhooks = append(floorV.Webhooks, h)
			continue
		}
		floorM.Webhooks = append(floorM.Webhooks, admissionregv1.MutatingWebhook{
			Name: h.Name, ClientConfig: h.ClientConfig, Rules: h.Rules, FailurePolicy: h.FailurePolicy, SideEffects: h.SideEffects,
			TimeoutSeconds: h.TimeoutSeconds, AdmissionReviewVersions: h.AdmissionReviewVersions, NamespaceSelector: h.NamespaceSelector, ObjectSelector: h.ObjectSelector,
			ReinvocationPolicy: ptr.To(admissionregv1.NeverReinvocationPolicy),
		})
	}
	for _, o := range append(objs, floorM, floorV) {
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
			return nil              //nolint:nilerr // the denial is what shows the webhook is called
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("webhook configuration not in effect after 10s")
}
