package s3client_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

func TestPolicyCheck(t *testing.T) {
	def := s3client.Policy{}
	allow := s3client.Policy{Allow: s3client.MustPrefixes("127.0.0.1", "169.254.0.0/16", "fe80::/10")}
	exact := s3client.Policy{Allow: s3client.MustPrefixes("169.254.169.254/32")}
	deny := s3client.Policy{Allow: s3client.MustPrefixes("10.0.0.0/8"), Deny: s3client.MustPrefixes("10.96.0.0/12")}
	own := []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::2"), netip.MustParseAddr("127.0.0.1")}
	host := s3client.Policy{Own: own}
	hostBroad := s3client.Policy{Own: own, Allow: s3client.MustPrefixes("10.0.0.0/8", "fd00::/8")}
	hostExact := s3client.Policy{Own: own, Allow: s3client.MustPrefixes("10.0.0.5", "127.0.0.1")}
	hostDeny := s3client.Policy{Own: own, Allow: s3client.MustPrefixes("10.0.0.5"), Deny: s3client.MustPrefixes("10.0.0.0/24")}
	cases := []struct {
		p       s3client.Policy
		addr    string
		allowed bool
	}{
		{def, "203.0.113.10", true},
		{def, "10.1.2.3", true},
		{def, "127.0.0.1", false},
		{def, "::1", false},
		{def, "::ffff:127.0.0.1", false},
		{def, "169.254.10.1", false},
		{def, "fe80::1", false},
		{def, "0.0.0.0", false},
		{def, "::", false},
		{def, "224.0.0.1", false},
		{def, "ff02::1", false},
		{def, "169.254.169.254", false},
		{def, "fd00:ec2::254", false},
		{def, "169.254.170.2", false},
		{allow, "127.0.0.1", true},
		{allow, "127.0.0.2", false},
		{allow, "169.254.10.1", true},
		{allow, "169.254.169.254", false}, // metadata needs an exact entry
		{exact, "169.254.169.254", true},
		{deny, "10.1.2.3", true},
		{deny, "10.100.0.1", false}, // deny wins over allow
		// Every form of a metadata or loopback address.
		{def, "100.100.100.200", false},       // Alibaba Cloud, inside 100.64.0.0/10
		{def, "192.0.0.192", false},           // Oracle Cloud
		{def, "100.64.1.2", true},             // the rest of shared address space (carrier NAT, on-premises S3)
		{def, "64:ff9b::a9fe:a9fe", false},    // NAT64 of 169.254.169.254
		{def, "64:ff9b::7f00:1", false},       // NAT64 of 127.0.0.1
		{def, "64:ff9b:1::a9fe:a9fe", false},  // local-use NAT64
		{def, "2002:a9fe:a9fe::1", false},     // 6to4 of 169.254.169.254
		{def, "2002:7f00:1::1", false},        // 6to4 of 127.0.0.1
		{def, "2001:0:1:2::5601:5601", false}, // Teredo client 169.254.169.254 (XOR ffffffff)
		{def, "::a9fe:a9fe", false},           // IPv4-compatible 169.254.169.254
		{def, "::7f00:1", false},              // IPv4-compatible 127.0.0.1
		{def, "64:ff9b::cb00:710a", true},     // NAT64 of a public address
		{def, "2002:cb00:710a::1", true},      // 6to4 of a public address
		{def, "2001:db8::1", true},
		{allow, "64:ff9b::a9fe:a9fe", false}, // a broad link-local allowlist does not open a metadata address in any form
		{s3client.Policy{Allow: s3client.MustPrefixes("64:ff9b::a9fe:a9fe")}, "64:ff9b::a9fe:a9fe", true}, // an exact IPv6 entry does
		// The host's own interface addresses; private ranges stay allowed.
		{host, "10.0.0.5", false},
		{host, "fd00::2", false},
		{host, "64:ff9b::a00:5", false}, // NAT64 form of an own address
		{host, "10.0.0.6", true},        // a neighbour on the same private network
		{host, "192.168.1.10", true},
		{host, "172.16.0.1", true},
		{host, "fd00::3", true},
		{host, "127.0.0.1", false},     // loopback rule, as without Own
		{hostBroad, "10.0.0.5", false}, // a broad allowlist entry does not open an own address
		{hostBroad, "fd00::2", false},
		{hostBroad, "10.0.0.6", true},
		{hostExact, "10.0.0.5", true},  // the single address does
		{hostExact, "127.0.0.1", true}, // tests allowlist their loopback versitygw
		{hostDeny, "10.0.0.5", false},  // a deny CIDR wins over the exact entry
		{hostDeny, "10.0.1.5", true},
	}
	for _, tc := range cases {
		err := tc.p.Check(tc.addr, netip.MustParseAddr(tc.addr))
		var pe *s3client.PolicyError
		if tc.allowed != (err == nil) || (err != nil && !errors.As(err, &pe)) {
			t.Errorf("%s with %+v: err = %v, want allowed=%v", tc.addr, tc.p, err, tc.allowed)
		}
	}
}

func TestPrefixListFlag(t *testing.T) {
	var l s3client.PrefixList
	if err := l.Set("127.0.0.1, 10.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	if err := l.Set("fd00::/8"); err != nil {
		t.Fatal(err)
	}
	if got, want := l.String(), "127.0.0.1/32,10.0.0.0/8,fd00::/8"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if err := l.Set("10.0.0.0/33"); err == nil {
		t.Fatal("accepted a bad CIDR")
	}
	if err := l.Set("not-an-ip"); err == nil {
		t.Fatal("accepted a bad address")
	}
}
