// Command loadgen measures the user-cluster admission webhook.
//
//	loadgen -bin bin/clusterbackup-webhook direct [-rates 1000,2000] [-duration 10s] [-saturate 10s]
//	loadgen -bin bin/clusterbackup-webhook apiserver [-rounds 4000] [-floors all] [-b-bin OTHER] [-b-args FLAGS]
//
// direct starts a kube-apiserver (for the webhook's informers) and the real
// `clusterbackup webhook` process, then drives velero-CLI Backup CREATE
// reviews (defaults, validation, JSON patch) over TLS on loopback at fixed
// rates (open loop, latency measured from each request's scheduled time) and
// saturated (closed loop), reporting p50, p99, max, achieved rate and the
// server's RSS; then the same against the allow-all floor.
//
// apiserver registers the webhook and trivial allow-all webhooks (the
// floors: one TLS hop + JSON per call) with a real kube-apiserver and
// creates Backups through it, every variant in turn, request by request: no
// webhook, each floor (validating, mutating, returning ours' patch, HTTP/2),
// optionally a second webhook process (another build or other flags), ours;
// for velero-CLI Backups (three defaults to fill) and for complete ones as
// Velero's schedule controller creates them (nothing to fill). It reports
// the latency each adds over no webhook at p50 and p99, and each webhook
// process's CPU per review. allowall is the floors' server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	bin := fs.String("bin", "bin/clusterbackup", "the clusterbackup binary to measure (make build)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: loadgen [-bin PATH] direct|apiserver|allowall [flags]")
	}
	rest := fs.Args()[1:]
	if fs.Arg(0) != "allowall" {
		// The load generator shares the two cores with what it measures;
		// fewer of its own GC cycles leave more of them to the servers. The
		// servers, the allow-all floors included, keep Go's default.
		debug.SetGCPercent(400)
	}
	switch fs.Arg(0) {
	case "direct":
		return runDirect(ctx, *bin, rest)
	case "apiserver":
		return runAPIServer(ctx, *bin, rest)
	case "allowall":
		return runAllowAll(ctx, rest)
	}
	return fmt.Errorf("unknown mode %q", fs.Arg(0))
}
