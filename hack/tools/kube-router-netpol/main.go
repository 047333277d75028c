// Command kube-router-netpol runs kube-router's NetworkPolicy controller alone (no BGP
// routing, no service proxy): the node harness's NetworkPolicy enforcer. It
// programs iptables (filter table, physdev matches on the bridge) and ipsets
// from the Pods, Namespaces and NetworkPolicies of one node. On SIGTERM or
// SIGINT it stops its controller and exits without kube-router's Cleanup:
// v2.1.0's Cleanup restores the filter table from a buffer it does not
// reset and so doubles every rule outside its own chains (the node
// harness watched 511 copies pile up). The harness kills it and its
// network teardown removes the chains and ipsets it made. hack/tools.sh
// builds it as the tool kube-router-netpol, versioned as the kube-router
// module it pins.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cloudnativelabs/kube-router/v2/pkg/controllers/netpol"
	"github.com/cloudnativelabs/kube-router/v2/pkg/healthcheck"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-router-netpol:", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the node's API server (required)")
	node := flag.String("hostname-override", "", "the node's name (required)")
	services := flag.String("service-cluster-ip-range", "", "the Service cluster IP range (required)")
	period := flag.Duration("sync-period", 5*time.Minute, "full resync period (changes sync at once)")
	klog.InitFlags(nil)
	flag.Parse()
	if *kubeconfig == "" || *node == "" || *services == "" {
		return fmt.Errorf("--kubeconfig, --hostname-override and --service-cluster-ip-range are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	o := options.NewKubeRouterConfig()
	o.EnableIPv4, o.RunFirewall, o.HostnameOverride = true, true, *node
	o.ClusterIPCIDRs, o.IPTablesSyncPeriod = []string{*services}, *period

	stop := make(chan struct{})
	f := informers.NewSharedInformerFactory(cs, 0)
	pods, nss, nps := f.Core().V1().Pods().Informer(), f.Core().V1().Namespaces().Informer(), f.Networking().V1().NetworkPolicies().Informer()
	f.Start(stop)
	for typ, ok := range f.WaitForCacheSync(stop) {
		if !ok {
			return fmt.Errorf("informer of %v did not sync", typ)
		}
	}
	ipt, ips, err := netpol.NewIPTablesHandlers(o)
	if err != nil {
		return fmt.Errorf("iptables and ipset handlers: %w", err)
	}
	var ipsetMu sync.Mutex
	npc, err := netpol.NewNetworkPolicyController(cs, o, pods, nps, nss, &ipsetMu, ipt, ips)
	if err != nil {
		return fmt.Errorf("network policy controller: %w", err)
	}
	if _, err := pods.AddEventHandler(npc.PodEventHandler); err != nil {
		return err
	}
	if _, err := nss.AddEventHandler(npc.NamespaceEventHandler); err != nil {
		return err
	}
	if _, err := nps.AddEventHandler(npc.NetworkPolicyEventHandler); err != nil {
		return err
	}
	// The controller reports each sync on this channel; nobody checks health.
	health := make(chan *healthcheck.ControllerHeartbeat, 10)
	go func() {
		for range health {
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go npc.Run(health, stop, &wg)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	close(stop)
	wg.Wait()
	return nil
}
