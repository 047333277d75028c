// Command slimwebhook serves the user-cluster webhook exactly as
// `clusterbackup webhook --mode user` does (server.New), in a binary that
// links nothing else. hack/loadgen measures it next to the full binary to
// separate the webhook's memory from the code pages of the other commands
// (render, cmp, krm, ...), which count in a process's RSS once touched.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // SLIMWEBHOOK_PPROF serves profiles for measurements
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/clusterbackup/clusterbackup/webhook/server"
)

func main() {
	var o server.Options
	o.Default() // the webhook command's defaults, bound below
	var kubeconfig string
	fs := flag.NewFlagSet("slimwebhook", flag.ExitOnError)
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig")
	fs.StringVar(&o.Host, "host", "", "listen host")
	fs.IntVar(&o.Port, "port", o.Port, "webhook port")
	fs.StringVar(&o.CertDir, "cert-dir", "", "tls.crt and tls.key")
	fs.StringVar(&o.HealthAddr, "health-addr", o.HealthAddr, "health address")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, "metrics address")
	fs.StringVar(&o.Velero.Managed.Bucket, "managed-bucket", "", "managed bucket")
	fs.StringVar(&o.Velero.Managed.Endpoint, "managed-endpoint", "", "managed endpoint")
	fs.StringVar(&o.Velero.Managed.Prefix, "managed-prefix", "", "managed prefix")
	if len(os.Args) > 1 && os.Args[1] == "webhook" { // accept loadgen's `webhook` argument
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	_ = fs.Parse(os.Args[1:])
	if addr := os.Getenv("SLIMWEBHOOK_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }() //nolint:gosec // measurement aid on loopback
	}
	// As `clusterbackup webhook` does: without a logger, controller-runtime
	// keeps every per-request logger waiting for one (memory grows).
	logf.SetLogger(logr.FromSlogHandler(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err == nil {
		var mgr interface{ Start(context.Context) error }
		if mgr, err = server.New(ctx, cfg, o); err == nil {
			err = mgr.Start(ctx)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "slimwebhook:", err)
		os.Exit(1)
	}
}
