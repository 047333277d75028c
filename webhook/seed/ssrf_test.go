package seed

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// ownAddress returns an IPv4 address of one of this host's up, non-loopback
// interfaces (the kind the SSRF policy must deny by default). Addresses on
// lo (such as the node harness's NodeIP) are skipped: they come and go with
// other tests.
func ownAddress(t *testing.T) netip.Addr {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatalf("list interfaces: %v", err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			t.Fatalf("addresses of %s: %v", i.Name, err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(n.IP)
				if ip = ip.Unmap(); ip.Is4() && !ip.IsLinkLocalUnicast() {
					return ip
				}
			}
		}
	}
	t.Fatalf("this host has no up, non-loopback interface with an IPv4 address (%v); the test needs one (e.g. a network namespace with a veth)", ifs)
	return netip.Addr{}
}

// TestSeedDeniesOwnAddressesAndDenyCIDRs: through the real API server, a CBSL
// whose endpoint is one of the seed's own interface addresses is denied by
// the default policy although versitygw answers there, a CBSL in a
// configured deny CIDR (the service network) is denied, and the neighbour on
// loopback (allowlisted like every test) is admitted. A second webhook whose
// allowlist names the own address exactly admits the same CBSL: an exact
// entry is how an operator opens one address; a deny CIDR still wins.
func TestSeedDeniesOwnAddressesAndDenyCIDRs(t *testing.T) {
	ctx := context.Background()
	own := ownAddress(t)
	onOwn := s3env.StartOn(t, own.String())
	if err := onOwn.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	denied := func(t *testing.T, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("admitted, want a denial containing %q", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("err = %v, want a denial containing %q", err, w)
			}
		}
		if strings.Contains(err.Error(), onOwn.RootSecretKey) {
			t.Fatalf("denial leaks the secret: %v", err)
		}
	}

	t.Run("default policy", func(t *testing.T) {
		o := allowLoopback()
		o.Policy.Deny = s3check.MustPrefixes("10.96.0.0/12", "10.244.0.0/16") // service and pod networks
		e := startSeed(t, Options{Check: o})
		e.secret(t, "own", onOwn.RootAccessKey, onOwn.RootSecretKey)
		e.secret(t, "loop", e.s3.RootAccessKey, e.s3.RootSecretKey)

		c := e.cbsl("own-address", onOwn.Endpoint, "backups", "own")
		denied(t, e.c.Create(ctx, c), `ClusterBackupStorageLocation.kubermatic.k8c.io "own-address" is invalid: spec.config[s3Url]: Invalid value: S3 check failed (EndpointDenied)`, "endpoint address "+own.String(), "own network interfaces")
		for _, ep := range []string{"http://10.96.0.1", "https://10.244.3.7:9000"} {
			c := e.cbsl("service-net", ep, "backups", "loop")
			denied(t, e.c.Create(ctx, c), "in the denied range 10.")
		}
		neighbour := e.cbsl("loopback-allowlisted", e.s3.Endpoint, "backups", "loop")
		if err := e.c.Create(ctx, neighbour); err != nil {
			t.Fatalf("the allowlisted neighbour was denied: %v", err)
		}
	})
	t.Run("exact allowlist entry", func(t *testing.T) {
		o := allowLoopback()
		o.Policy.Allow = append(o.Policy.Allow, netip.PrefixFrom(own, own.BitLen()))
		o.Policy.Deny = s3check.MustPrefixes("10.96.0.0/12")
		e := startSeed(t, Options{Check: o})
		e.secret(t, "own", onOwn.RootAccessKey, onOwn.RootSecretKey)
		if err := e.c.Create(ctx, e.cbsl("own-address", onOwn.Endpoint, "backups", "own")); err != nil {
			t.Fatalf("the exactly allowlisted own address was denied: %v", err)
		}
		denied(t, e.c.Create(ctx, e.cbsl("service-net", "http://10.96.0.10", "backups", "own")), "in the denied range 10.96.0.0/12")
	})
}
