package storage

import "testing"

// TestCanonicalEndpoint: spellings of one endpoint have one canonical form.
func TestCanonicalEndpoint(t *testing.T) {
	for raw, want := range map[string]string{
		"https://s3.example.com":             "https://s3.example.com:443",
		"https://S3.Example.COM:443/":        "https://s3.example.com:443",
		"https://s3.example.com.:9000":       "https://s3.example.com:9000",
		"https://s3.example.com:9000/.":      "https://s3.example.com:9000",
		"HTTP://s3.example.com":              "http://s3.example.com:80",
		"http://10.0.0.1:9000/path":          "http://10.0.0.1:9000",
		" http://10.0.0.1:9000":              " http://10.0.0.1:9000",
		"http://[::ffff:10.0.0.1]:9000":      "http://10.0.0.1:9000",
		"http://[2001:DB8::1]":               "http://[2001:db8::1]:80",
		"https://s3.example.com:09000":       "https://s3.example.com:9000",
		"https://s3.example.com:0000443":     "https://s3.example.com:443",
		"http://s3.example.com:0":            "http://s3.example.com:0",
		"http://s3.example.com:":             "http://s3.example.com:80",
		"http://[0:0:0:0:0:FFFF:0a00:0005]":  "http://10.0.0.5:80",
		"http://[2001:0db8:0000::0001]:9000": "http://[2001:db8::1]:9000",
		"http://[fe80::1%25eth0]:9000":       "http://[fe80::1]:9000",
		"https://s3.example.com:65536":       "https://s3.example.com:65536", // no port: unchanged, validation reports it
		"":                                   "",
		"ftp://x":                            "ftp://x", // not parseable: unchanged, validation reports it
		"https://user:pw@s3.example.com":     "https://user:pw@s3.example.com",
		"https://s3.example.com/?x=1":        "https://s3.example.com/?x=1",
		"https://s3.example.com/#fragment1":  "https://s3.example.com/#fragment1",
	} {
		if got := CanonicalEndpoint(raw); got != want {
			t.Errorf("CanonicalEndpoint(%q) = %q; want %q", raw, got, want)
		}
	}
}

// TestSameEndpoint: false only when two endpoints are proven different.
func TestSameEndpoint(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://s3.example.com", "https://s3.example.com.:443/", true},
		{"https://s3.example.com:9000", "https://S3.EXAMPLE.COM:9000/.", true},
		{"http://s3.example.com:9000", "https://s3.example.com:9000", true}, // one port, one server
		{"https://s3.example.com", "https://s3.example.com:9000", false},
		{"https://a.example.com", "https://b.example.com", false},
		{"", "", true},
		{"", "https://s3.eu-west-1.amazonaws.com", true},
		{"", "https://minio.example.com", false},
		{"https://s3.example.com", "ftp://s3.example.com", true}, // cannot be proven different
		{"https://s3.example.com", "::garbage", true},
		// Ports are numbers, IP literals canonical (issue #29).
		{"https://s3.example.com:9000", "https://s3.example.com:09000", true},
		{"https://s3.example.com", "https://s3.example.com:000443", true},
		{"http://s3.example.com", "http://s3.example.com:0080", true},
		{"http://10.0.0.5:9000", "http://[::ffff:10.0.0.5]:9000", true},
		{"http://10.0.0.5:9000", "http://[::FFFF:a00:5]:09000", true},
		{"http://10.0.0.5:9000", "http://[0000:0000:0000:0000:0000:ffff:0a00:0005]:9000", true},
		{"http://[2001:db8::1]:9000", "http://[2001:0DB8:0:0:0:0:0:0001]:9000", true},
		{"http://[fe80::1%25eth0]:9000", "http://[fe80::1]:9000", true},
		{"http://10.0.0.5:9000", "http://10.0.0.6:9000", false},
		{"http://10.0.0.5:9000", "http://[::10.0.0.5]:9000", false},           // IPv4-compatible, another address
		{"https://s3.example.com:9000", "https://s3.example.com:90000", true}, // no port: cannot be told apart
		{"", "https://amazonaws.com.cn", true},
		// One server, two names: not decidable by spelling (the
		// managed-credential rule covers it).
		{"http://127.0.0.1:9000", "http://localhost:9000", false},
	} {
		if got := SameEndpoint(tc.a, tc.b); got != tc.same {
			t.Errorf("SameEndpoint(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.same)
		}
		if got := SameEndpoint(tc.b, tc.a); got != tc.same {
			t.Errorf("SameEndpoint(%q, %q) = %v; want %v", tc.b, tc.a, got, tc.same)
		}
	}
}
