package s3check

import (
	"fmt"
	"net/netip"
	"strings"
)

// metadataAddrs are cloud metadata endpoints (AWS IMDS and ECS task metadata,
// also used by other clouds). They stay denied unless the allowlist names the
// exact address: a broad allowlist entry such as 169.254.0.0/16 does not open
// them.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("169.254.170.2"),
	netip.MustParseAddr("fd00:ec2::254"),
}

// Policy decides which addresses a check may dial.
//
// An address is denied when it is in Deny (always, even when allowlisted);
// when it is a cloud metadata address, unless Allow holds that single address;
// or when it is loopback, link-local, unspecified or multicast and no Allow
// entry contains it. Everything else is allowed.
type Policy struct {
	// Allow admits addresses the built-in rules would deny (tests allowlist
	// 127.0.0.1/32). Default empty.
	Allow PrefixList `json:"allow,omitempty"`
	// Deny adds CIDRs that are always denied (for example the seed's pod and
	// service networks). Default empty.
	Deny PrefixList `json:"deny,omitempty"`
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

// Check returns a *PolicyError when addr may not be dialled.
func (p Policy) Check(host string, addr netip.Addr) error {
	addr = addr.Unmap()
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
