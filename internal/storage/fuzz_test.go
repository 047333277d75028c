package storage

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FuzzValidateEndpointURL: never panics, and a password in the URL never
// reaches an error message.
func FuzzValidateEndpointURL(f *testing.F) {
	for _, s := range []string{"https://s3.example.com", "http://ak:hunter2@s3:9000/x", "ftp://a", "https://a/?q#f", "://@", "http://[::1]:80"} {
		f.Add(s, "hunter2")
	}
	f.Fuzz(func(t *testing.T, base, password string) {
		if len(password) < 6 || strings.ContainsAny(password, "@/:?#%[]") {
			return
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
		msg := func(pw string) string {
			errs := ValidateEndpointURL("https://user:"+pw+"@"+rest, field.NewPath("spec", "config").Key("s3Url"))
			if len(errs) == 0 {
				t.Fatalf("accepted a URL with user info: %q", "https://user:"+pw+"@"+rest)
			}
			return errs.ToAggregate().Error()
		}
		// The password may legitimately occur elsewhere (host, message
		// text): compare with the message for a different password.
		if strings.Contains(msg(password), password) && !strings.Contains(msg("\x01\x02\x03"), password) {
			t.Fatalf("message leaks the password: %q", msg(password))
		}
		_ = ValidateEndpointURL(base, field.NewPath("x"))
	})
}

// canonicalAuthority is the canonical parse FuzzSameEndpoint compares with,
// written from the standard library alone: net/url, the host lower-cased
// without a trailing dot, an IP literal through net/netip (unmapped, no
// zone), the port as a 16-bit number (the dialer's reading), the scheme's
// port when there is none. ok is false for what names no http(s) server.
func canonicalAuthority(raw string) (authority string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	var port uint64
	switch strings.ToLower(u.Scheme) {
	case "http":
		port = 80
	case "https":
		port = 443
	default:
		return "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().WithZone("").String()
	}
	if host == "" {
		return "", false
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.ParseUint(p, 10, 16); err != nil {
			return "", false
		}
	}
	return net.JoinHostPort(host, strconv.FormatUint(port, 10)), true
}

// respell writes raw's server another way, as an attacker would: how picks
// leading zeros on the port (1), the IPv4-mapped or the expanded IPv6 form
// of an IP literal (2), an upper-case host name (4), a trailing dot on a host
// name (8) and a path (16). ok is false when raw has no such server.
func respell(raw string, how uint8) (string, bool) {
	u, err := url.Parse(raw)
	scheme := ""
	if err == nil {
		scheme = strings.ToLower(u.Scheme)
	}
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := u.Hostname(), u.Port()
	if _, err := netip.ParseAddr(host); err != nil && (host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "") ||
		strings.Contains(host, "%") {
		return "", false // a name only DNS could resolve, or a zone
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	if how&1 != 0 {
		port = "00" + port
	}
	if a, err := netip.ParseAddr(host); err == nil {
		switch {
		case how&2 != 0 && a.Is4():
			host = "::ffff:" + a.String()
		case how&2 != 0:
			host = a.StringExpanded()
		}
	} else {
		if how&4 != 0 {
			host = strings.Map(func(r rune) rune {
				if 'a' <= r && r <= 'z' {
					return r - 'a' + 'A'
				}
				return r
			}, host)
		}
		if how&8 != 0 && !strings.HasSuffix(host, ".") {
			host += "."
		}
	}
	out := scheme + "://" + net.JoinHostPort(host, port)
	if how&16 != 0 {
		out += "/x"
	}
	return out, true
}

// FuzzSameEndpoint: SameEndpoint says "different" exactly when the canonical
// parses differ, and never for what cannot be parsed; and every respelling
// of an endpoint (leading-zero ports, IPv4-mapped and expanded IPv6
// literals, case, trailing dot, path) is the same endpoint. test/storagecore
// TestEndpointRespellingsOnVersitygw shows the same spellings reaching one
// real server.
func FuzzSameEndpoint(f *testing.F) {
	for _, s := range [][2]string{
		{"https://s3.example.com:9000", "https://s3.example.com:09000"},
		{"http://10.0.0.5:9000", "http://[::ffff:10.0.0.5]:9000"},
		{"http://10.0.0.5:9000", "http://[::ffff:a00:5]:9000"},
		{"http://[2001:db8::1]:9000", "http://[2001:0db8:0000:0000:0000:0000:0000:0001]:9000"},
		{"http://127.0.0.1:9000", "http://localhost:9000"},
		{"https://s3.example.com", "https://s3.example.com:443"},
		{"https://s3.example.com", "http://s3.example.com:0443"},
		{"https://s3.example.com:9000", "https://s3.example.com:99999"},
		{"https://s3.example.com", "https://S3.EXAMPLE.COM./."},
		{"https://a.example.com", "https://b.example.com"},
		{"http://[fe80::1%25eth0]:80", "http://[fe80::1]"},
		{"http://[::10.0.0.5]:9000", "http://10.0.0.5:9000"},
		{"https://s3.example.com", "::garbage"},
		{"ftp://s3.example.com", "https://s3.example.com"},
	} {
		for _, how := range []uint8{0, 1, 2, 31} {
			f.Add(s[0], s[1], how)
		}
	}
	// agree: SameEndpoint(a, b) is the canonical forms' equality when both
	// parse, and true when either does not.
	agree := func(t *testing.T, a, b string) {
		ca, okA := canonicalAuthority(a)
		cb, okB := canonicalAuthority(b)
		same := SameEndpoint(a, b)
		if same != SameEndpoint(b, a) {
			t.Fatalf("SameEndpoint(%q, %q) = %v, but not the other way round", a, b, same)
		}
		switch {
		case okA && okB && same != (ca == cb):
			t.Fatalf("SameEndpoint(%q, %q) = %v, but the canonical forms are %q and %q", a, b, same, ca, cb)
		case !(okA && okB) && !same:
			t.Fatalf("SameEndpoint(%q, %q) = false, but one of them cannot be parsed", a, b)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string, how uint8) {
		if a == "" || b == "" {
			return // AWS S3 itself: TestSameEndpoint
		}
		agree(t, a, b)
		r, ok := respell(a, how)
		if !ok {
			return
		}
		agree(t, a, r)
		ca, okA := canonicalAuthority(a)
		if cr, okR := canonicalAuthority(r); okA && (!okR || cr != ca || !SameEndpoint(a, r)) {
			t.Fatalf("respelling %q of %q: SameEndpoint = %v, canonical %q vs %q", r, a, SameEndpoint(a, r), cr, ca)
		}
	})
}
