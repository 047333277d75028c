package s3client

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// metadataAddrs are cloud metadata endpoints (AWS IMDS and ECS task metadata,
// also used by other clouds). They stay denied unless the allowlist names the
// exact address: a broad allowlist entry such as 169.254.0.0/16 does not open
// them.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, ...
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud (in 100.64.0.0/10)
	netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud
}

// embeddings are IPv6 forms that carry an IPv4 address a gateway or the
// kernel may turn into an IPv4 packet: a metadata or loopback address in
// one of them is judged as that IPv4 address.
var embeddings = []struct {
	name   string
	prefix netip.Prefix
	ipv4   func(b [16]byte) [4]byte
}{
	{"NAT64", netip.MustParsePrefix("64:ff9b::/96"), func(b [16]byte) [4]byte { return [4]byte(b[12:16]) }},
	{"local-use NAT64", netip.MustParsePrefix("64:ff9b:1::/48"), func(b [16]byte) [4]byte { return [4]byte(b[12:16]) }},
	{"6to4", netip.MustParsePrefix("2002::/16"), func(b [16]byte) [4]byte { return [4]byte(b[2:6]) }},
	{"Teredo", netip.MustParsePrefix("2001::/32"), func(b [16]byte) [4]byte {
		return [4]byte{b[12] ^ 0xff, b[13] ^ 0xff, b[14] ^ 0xff, b[15] ^ 0xff}
	}},
	{"IPv4-compatible", netip.MustParsePrefix("::/96"), func(b [16]byte) [4]byte { return [4]byte(b[12:16]) }},
}

// Policy decides which addresses a check may dial.
//
// An address is denied when it is in Deny (always, even when allowlisted);
// when it is a cloud metadata address or one of the host's own interface
// addresses (Own), unless Allow holds that single address; or when it is
// loopback, link-local, unspecified or multicast and no Allow entry contains
// it. Everything else is allowed, private ranges (10/8, 172.16/12,
// 192.168/16, fc00::/7) included: on-premises S3 lives there.
type Policy struct {
	// Allow admits addresses the built-in rules would deny (tests allowlist
	// 127.0.0.1/32). Default empty.
	Allow PrefixList `json:"allow,omitempty"`
	// Deny adds CIDRs that are always denied (for example the seed's pod and
	// service networks). Default empty.
	Deny PrefixList `json:"deny,omitempty"`
	// Own are the host's own interface addresses. The Checker fills them
	// before every check (Options.InterfaceAddrs); a Policy used on its own
	// denies what is listed here. Default empty.
	Own []netip.Addr `json:"-"`
}

// PolicyError reports an address the policy refused; nothing was dialled.
type PolicyError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

// Error names the host, the address and the rule.
func (e *PolicyError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("endpoint address %s is not allowed: %s", e.Addr, e.Reason)
	}
	return fmt.Sprintf("endpoint host %q resolves to %s, which is not allowed: %s", e.Host, e.Addr, e.Reason)
}

// Check returns a *PolicyError when addr may not be dialled. An IPv6
// address that embeds an IPv4 one (NAT64, 6to4, Teredo, IPv4-compatible) is
// also judged as that IPv4 address, unless Allow holds the IPv6 address.
func (p Policy) Check(host string, addr netip.Addr) error {
	addr = addr.Unmap()
	if err := p.check(host, addr); err != nil {
		return err
	}
	if !addr.Is6() {
		return nil
	}
	b := addr.As16()
	for _, e := range embeddings {
		if !e.prefix.Contains(addr) || e.name == "IPv4-compatible" && (addr.IsUnspecified() || addr.IsLoopback()) {
			continue
		}
		v4 := netip.AddrFrom4(e.ipv4(b))
		if p.Allow.exact(addr) {
			return nil
		}
		if err := p.check(host, v4); err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) {
				return err
			}
			pe.Addr, pe.Reason = addr, fmt.Sprintf("%s form of %s: %s", e.name, v4, pe.Reason)
			return pe
		}
	}
	return nil
}

func (p Policy) check(host string, addr netip.Addr) error {
	deny := func(reason string) error { return &PolicyError{Host: host, Addr: addr, Reason: reason} }
	if pfx, ok := p.Deny.match(addr); ok {
		return deny("in the denied range " + pfx.String())
	}
	for _, m := range metadataAddrs {
		if addr == m {
			if p.Allow.exact(addr) {
				return nil
			}
			return deny("cloud metadata address")
		}
	}
	if !addr.IsLoopback() && slices.Contains(p.Own, addr) {
		if p.Allow.exact(addr) {
			return nil
		}
		return deny("an address of this host's own network interfaces (allowlist the single address to permit)")
	}
	var reason string
	switch {
	case addr.IsLoopback():
		reason = "loopback address"
	case addr.IsLinkLocalUnicast():
		reason = "link-local address"
	case addr.IsUnspecified():
		reason = "unspecified address"
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		reason = "multicast address"
	default:
		return nil
	}
	if _, ok := p.Allow.match(addr); ok {
		return nil
	}
	return deny(reason + " (allowlist it to permit)")
}

// PrefixList is a list of CIDRs usable as a repeatable, comma-separated flag.
type PrefixList []netip.Prefix

// String joins the prefixes with commas.
func (l *PrefixList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Set appends comma-separated CIDRs; a bare address means a single host.
func (l *PrefixList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := ParsePrefix(f)
		if err != nil {
			return err
		}
		*l = append(*l, p)
	}
	return nil
}

// ParsePrefix parses a CIDR or a single address (as a /32 or /128).
func ParsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid address or CIDR %q", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
	}
	return p.Masked(), nil
}

// MustPrefixes parses CIDRs and panics on a mistake (for tests and constants).
func MustPrefixes(cidrs ...string) PrefixList {
	var l PrefixList
	for _, c := range cidrs {
		if err := l.Set(c); err != nil {
			panic(err)
		}
	}
	return l
}

func (l PrefixList) match(a netip.Addr) (netip.Prefix, bool) {
	for _, p := range l {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func (l PrefixList) exact(a netip.Addr) bool {
	for _, p := range l {
		if p.Bits() == a.BitLen() && p.Addr() == a {
			return true
		}
	}
	return false
}
