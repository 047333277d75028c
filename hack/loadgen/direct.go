package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/webhook/user"
)

// backupReview is what the API server sends for `velero backup create
// nightly-20261125 --include-namespaces app`: a Backup CREATE in Velero's
// namespace that needs all three defaults. Our one call for it defaults,
// validates and answers with a JSON patch.
const backupReview = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0b9c8f4e-6a51-4f0e-9d7e-3f1f2b6f9a10",` +
	`"kind":{"group":"velero.io","version":"v1","kind":"Backup"},"resource":{"group":"velero.io","version":"v1","resource":"backups"},` +
	`"requestKind":{"group":"velero.io","version":"v1","kind":"Backup"},"requestResource":{"group":"velero.io","version":"v1","resource":"backups"},` +
	`"name":"nightly-20261125","namespace":"velero","operation":"CREATE","userInfo":{"username":"alice","groups":["system:authenticated"]},` +
	`"object":{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"nightly-20261125","namespace":"velero",` +
	`"managedFields":[{"manager":"velero","operation":"Update","apiVersion":"velero.io/v1","time":"2026-11-25T22:00:00Z","fieldsType":"FieldsV1",` +
	`"fieldsV1":{"f:spec":{".":{},"f:csiSnapshotTimeout":{},"f:hooks":{},"f:includedNamespaces":{},"f:itemOperationTimeout":{},"f:metadata":{},"f:ttl":{}}}}]},` +
	`"spec":{"includedNamespaces":["app"],"ttl":"0s","csiSnapshotTimeout":"0s","itemOperationTimeout":"0s","hooks":{},"metadata":{}},"status":{}},` +
	`"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}`

// result summarizes one load phase.
type result struct {
	name          string
	sent, errs    int
	elapsed       time.Duration
	p50, p99, max time.Duration
}

// String prints one result line.
func (r result) String() string {
	return fmt.Sprintf("%-16s requests=%-7d errors=%-4d achieved=%7.0f/s p50=%-9s p99=%-9s max=%s",
		r.name, r.sent, r.errs, float64(r.sent)/r.elapsed.Seconds(), round(r.p50), round(r.p99), round(r.max))
}

func round(d time.Duration) string { return d.Round(time.Microsecond).String() }

func runDirect(ctx context.Context, bin string, args []string) error {
	fs := flag.NewFlagSet("direct", flag.ContinueOnError)
	rates := fs.String("rates", "1000,2000", "comma-separated fixed rates (reviews/s)")
	duration := fs.Duration("duration", 10*time.Second, "length of each fixed-rate phase (keep ≤ 20s on a shared machine)")
	saturate := fs.Duration("saturate", 10*time.Second, "length of the saturated phase (0 skips it)")
	workers := fs.Int("workers", 32, "concurrent requests in the saturated phase")
	floor := fs.Bool("floor", true, "repeat the phases against the allow-all floor server for comparison")
	settle := fs.Duration("settle", 15*time.Second, "wait before measuring: a fresh kube-apiserver spends its first seconds publishing CRD OpenAPI")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := startCluster(ctx, kubeenv.Options{})
	if err != nil {
		return err
	}
	defer c.stop()
	p, _, err := startWebhook(ctx, bin, c, "webhook")
	if err != nil {
		return err
	}
	defer p.stop()
	fmt.Printf("server when ready: %s\n", p.mem())
	url := p.base + user.MutateBackupPath
	body := []byte(backupReview)
	if ok, err := send(p.client, url, body); !ok || err != nil {
		return fmt.Errorf("probe review not allowed: %v", err)
	}
	time.Sleep(*settle)
	// Warm up connections, TLS session and the Go runtime.
	_ = closedLoop(ctx, p.client, url, body, *workers, time.Second, "warm-up")
	fmt.Printf("server after warm-up: %s\n", p.mem())
	fmt.Printf("webhook: %s, velero-CLI Backup CREATE (defaults, validation, patch) over TLS on loopback, %s per phase\n", bin, *duration)
	if err := phases(ctx, p, url, body, *rates, *duration, *saturate, *workers); err != nil {
		return err
	}
	p.stop()
	if !*floor {
		return nil
	}
	f, _, err := startAllowAll(ctx, c, floors[0], "")
	if err != nil {
		return err
	}
	defer f.stop()
	furl := f.base + "/validate"
	_ = closedLoop(ctx, f.client, furl, body, *workers, time.Second, "warm-up")
	fmt.Println("floor: allow-all controller-runtime webhook (HTTP/1.1 like ours), same review, same phases")
	return phases(ctx, f, furl, body, *rates, *duration, *saturate, *workers)
}

// phases runs the fixed-rate phases, then the saturated one, printing each
// result and the server's memory.
func phases(ctx context.Context, p *proc, url string, body []byte, rates string, duration, saturate time.Duration, workers int) error {
	for _, s := range strings.Split(rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || rate <= 0 {
			return fmt.Errorf("bad rate %q", s)
		}
		fmt.Println(openLoop(ctx, p.client, url, body, rate, duration))
		fmt.Printf("  server: %s\n", p.mem())
	}
	if saturate > 0 {
		fmt.Println(closedLoop(ctx, p.client, url, body, workers, saturate, fmt.Sprintf("saturated(%d)", workers)))
		fmt.Printf("  server: %s\n", p.mem())
	}
	return nil
}

// send posts one review and reports whether it was allowed.
func send(c *http.Client, url string, body []byte) (bool, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return bytes.Contains(out, []byte(`"allowed":true`)), nil
}

// openLoop sends rate reviews per second for d, each at its scheduled time,
// and measures latency from that time, so a stalled server is charged for
// the requests it delayed (no coordinated omission).
func openLoop(ctx context.Context, c *http.Client, url string, body []byte, rate int, d time.Duration) result {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	due := make(chan int, n)
	start := time.Now().Add(20 * time.Millisecond)
	var wg sync.WaitGroup
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range due {
				ok, err := send(c, url, body)
				if err != nil || !ok {
					errs.Add(1)
				}
				lat[i] = time.Since(start.Add(time.Duration(i) * interval))
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		due <- i
	}
	close(due)
	wg.Wait()
	return summarize(fmt.Sprintf("rate %d/s", rate), lat, int(errs.Load()), time.Since(start))
}

// closedLoop keeps workers requests in flight for d.
func closedLoop(ctx context.Context, c *http.Client, url string, body []byte, workers int, d time.Duration, name string) result {
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) && ctx.Err() == nil {
				t := time.Now()
				ok, err := send(c, url, body)
				if err != nil || !ok {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return summarize(name, all, int(errs.Load()), time.Since(start))
}

func summarize(name string, lat []time.Duration, errs int, elapsed time.Duration) result {
	r := result{name: name, sent: len(lat), errs: errs, elapsed: elapsed}
	if len(lat) == 0 {
		return r
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.p50, r.p99, r.max = pct(lat, 0.50), pct(lat, 0.99), lat[len(lat)-1]
	return r
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}
