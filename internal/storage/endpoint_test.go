package storage

import "testing"

// TestCanonicalEndpoint: spellings of one endpoint have one canonical form.
func TestCanonicalEndpoint(t *testing.T) {
	for raw, want := range map[string]string{
		"https://s3.example.com":            "https://s3.example.com:443",
		"https://S3.Example.COM:443/":       "https://s3.example.com:443",
		"https://s3.example.com.:9000":      "https://s3.example.com:9000",
		"https://s3.example.com:9000/.":     "https://s3.example.com:9000",
		"HTTP://s3.example.com":             "http://s3.example.com:80",
		"http://10.0.0.1:9000/path":         "http://10.0.0.1:9000",
		" http://10.0.0.1:9000":             " http://10.0.0.1:9000",
		"http://[::ffff:10.0.0.1]:9000":     "http://10.0.0.1:9000",
		"http://[2001:DB8::1]":              "http://[2001:db8::1]:80",
		"":                                  "",
		"ftp://x":                           "ftp://x", // not parseable: unchanged, validation reports it
		"https://user:pw@s3.example.com":    "https://user:pw@s3.example.com",
		"https://s3.example.com/?x=1":       "https://s3.example.com/?x=1",
		"https://s3.example.com/#fragment1": "https://s3.example.com/#fragment1",
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
	} {
		if got := SameEndpoint(tc.a, tc.b); got != tc.same {
			t.Errorf("SameEndpoint(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.same)
		}
		if got := SameEndpoint(tc.b, tc.a); got != tc.same {
			t.Errorf("SameEndpoint(%q, %q) = %v; want %v", tc.b, tc.a, got, tc.same)
		}
	}
}
