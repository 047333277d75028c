package storage

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Endpoint is an S3 endpoint URL in canonical form: lower-case scheme and
// host, the host without a trailing dot (an IP address in its shortest form,
// IPv4-mapped IPv6 unmapped, no zone), the port always explicit and a plain
// decimal number (":09000" is 9000, as the dialer reads it), no path, query
// or fragment. Two spellings of one endpoint give equal Endpoints; names
// that resolve to the same address (localhost, 127.0.0.1, a DNS alias) stay
// different: that cannot be decided from the spelling.
type Endpoint struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is the host name or IP address, without brackets.
	Host string
	// Port is the TCP port in decimal without leading zeros, "443" or "80"
	// when the URL left it out.
	Port string
}

// String returns the canonical URL, scheme://host:port.
func (e Endpoint) String() string { return e.Scheme + "://" + e.Authority() }

// Authority returns host:port (IPv6 in brackets).
func (e Endpoint) Authority() string { return net.JoinHostPort(e.Host, e.Port) }

// errEndpoint is the one reason ParseEndpoint gives for a URL it cannot read;
// ValidateEndpointURL explains the rules with field errors.
var errEndpoint = errors.New("not an absolute http or https URL with a host")

// ParseEndpoint returns the canonical form of an S3 endpoint URL (Velero's
// config.s3Url). It refuses what ValidateEndpointURL refuses; a path is
// dropped (it does not change which server answers).
func ParseEndpoint(raw string) (Endpoint, error) {
	if len(ValidateEndpointURL(raw, nil)) > 0 {
		return Endpoint{}, errEndpoint
	}
	return lenient(raw)
}

// lenient is ParseEndpoint without the validation rules beyond "an http(s)
// URL with a host": the server a URL reaches, whatever else it holds.
func lenient(raw string) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, errEndpoint
	}
	e := Endpoint{Scheme: strings.ToLower(u.Scheme), Host: strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), Port: u.Port()}
	if e.Scheme != "http" && e.Scheme != "https" {
		return Endpoint{}, errEndpoint
	}
	if a, err := netip.ParseAddr(e.Host); err == nil {
		e.Host = a.Unmap().WithZone("").String()
	}
	if e.Host == "" {
		return Endpoint{}, errEndpoint
	}
	if e.Port == "" {
		e.Port = map[string]string{"http": "80", "https": "443"}[e.Scheme]
		return e, nil
	}
	p, ok := numericPort(e.Port)
	if !ok {
		return Endpoint{}, errEndpoint
	}
	e.Port = strconv.Itoa(p)
	return e, nil
}

// numericPort reads a URL's port (digits only, net/url checked that) the
// way Go's dialer does: any number of leading zeros, at most 65535.
func numericPort(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return 0, true
	}
	if len(t) > 5 {
		return 0, false
	}
	n, err := strconv.Atoi(t)
	return n, err == nil && n >= 0 && n <= 65535
}

// CanonicalEndpoint returns ParseEndpoint(raw).String(), "" for "" (AWS S3
// itself), or raw unchanged when it cannot be parsed (validation reports it).
func CanonicalEndpoint(raw string) string {
	if raw == "" {
		return ""
	}
	e, err := ParseEndpoint(raw)
	if err != nil {
		return raw
	}
	return e.String()
}

// SameEndpoint reports whether two endpoints may reach the same object
// store. It is false only when both are proven different: both parse and
// their canonical host and port differ (ports compared as numbers, IP
// literals in canonical form: ":09000" is ":9000", "[::ffff:10.0.0.5]" is
// "10.0.0.5"), or one is AWS S3 ("") and the other's host is not an AWS one.
// Anything that cannot be parsed counts as the same, so a spelling trick
// never passes for "other storage". Two names of one server (localhost and
// 127.0.0.1, a DNS alias) are different spellings it cannot see through;
// the admission rules close that gap by credential: no BSL but the managed
// one and the read-only previous ones may sign with the managed key.
func SameEndpoint(a, b string) bool {
	if a == "" || b == "" {
		if a == b {
			return true
		}
		h, ok := authority(a + b)
		host, _, _ := net.SplitHostPort(h)
		return !ok || isAWSHost(host)
	}
	ha, okA := authority(a)
	hb, okB := authority(b)
	return !okA || !okB || ha == hb
}

// authority returns the host:port an http(s) endpoint URL reaches
// (lenient), whatever else the URL holds; ok is false when no such host can
// be read from it.
func authority(raw string) (string, bool) {
	e, err := lenient(raw)
	return e.Authority(), err == nil
}

// SameStorage reports whether two locations may be the same object store:
// the same bucket on endpoints SameEndpoint cannot tell apart.
func SameStorage(bucketA, endpointA, bucketB, endpointB string) bool {
	return bucketA == bucketB && SameEndpoint(endpointA, endpointB)
}

func isAWSHost(h string) bool {
	return h == "amazonaws.com" || h == "amazonaws.com.cn" || strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")
}

// ValidateEndpointURL checks an S3 endpoint URL: absolute http or https with
// a host, and no user info, query or fragment (credentials in a URL would end
// up in logs; a query or fragment would be mangled by request signing).
// Values in errors are redacted (RedactURL).
func ValidateEndpointURL(raw string, fldPath *field.Path) field.ErrorList {
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, RedactURL(raw), "must be an absolute http or https URL")}
	}
	var errs field.ErrorList
	bad := func(msg string) { errs = append(errs, field.Invalid(fldPath, RedactURL(raw), msg)) }
	if u.Scheme != "http" && u.Scheme != "https" {
		bad("scheme must be http or https")
	}
	if u.Host == "" || u.Hostname() == "" || strings.Trim(u.Hostname(), ".") == "" {
		bad("must name a host (an absolute URL like https://s3.example.com)")
	}
	if p := u.Port(); p != "" {
		if _, ok := numericPort(p); !ok {
			bad("port must be a number from 0 to 65535")
		}
	}
	if u.User != nil {
		bad("must not contain user info; credentials belong in the credential Secret")
	}
	if u.RawQuery != "" || u.ForceQuery {
		bad("must not contain a query")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		bad("must not contain a fragment")
	}
	return errs
}

// RedactURL removes user info from a URL before it is echoed: everything
// before the last "@" (after the scheme) is replaced, whatever the URL's
// shape, so neither a parse quirk nor a fragment or path that happens to
// hold the password text can bring it back (FuzzValidateEndpointURL found
// "https://user:pw@#pw…", where the parsed form kept the fragment).
func RedactURL(raw string) string {
	j := strings.LastIndex(raw, "@")
	if j < 0 {
		return raw
	}
	scheme := ""
	if i := strings.Index(raw, "://"); i >= 0 && i < j {
		scheme = raw[:i+3]
	}
	return scheme + "REDACTED@" + raw[j+1:]
}
