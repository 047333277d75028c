package userclient

import (
	"net"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// maxDialTimeout bounds connecting when Options.Timeout is longer.
const maxDialTimeout = 30 * time.Second

// bound gives cfg, built from one cluster's kubeconfig, its budget: a
// deadline for every request, a token bucket of its own, a body limit, a
// dialer of its own (so the cluster's connections are its own and close on
// Forget), and no warning handler (warning headers are the tenant's text).
func bound(cfg *rest.Config, o Options) {
	cfg.Timeout = o.Timeout.Duration
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(o.QPS, o.Burst)
	cfg.UserAgent = o.UserAgent
	cfg.WrapTransport = limitBodies(o.MaxBodyBytes)
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.WarningHandlerWithContext = nil
	cfg.Dial = (&net.Dialer{Timeout: min(o.Timeout.Duration, maxDialTimeout), KeepAlive: 30 * time.Second}).DialContext
}
