package storage

import (
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
