// Package creds holds static S3 credentials and the AWS credentials file
// format (Velero's "cloud" key). Which Secret layout a storage location uses
// is decided by internal/storage.Credentials.
//
// Errors and String never contain a secret value.
package creds

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Static is a pair of static S3 credentials.
type Static struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String returns the access key ID only; the secret never leaves this type
// through formatting.
func (s Static) String() string { return "access key " + s.AccessKeyID }

// GoString is String, so %#v does not leak the secret either.
func (s Static) GoString() string { return s.String() }

// Hash returns a stable digest of the whole credential, for cache keys that
// must change when the secret changes without holding it.
func (s Static) Hash() string {
	sum := sha256.Sum256([]byte(s.AccessKeyID + "\x00" + s.SecretAccessKey + "\x00" + s.SessionToken))
	return hex.EncodeToString(sum[:12])
}

// ParseINI reads one profile of an AWS shared credentials file.
func ParseINI(file []byte, profile string) (Static, error) {
	if profile == "" {
		profile = "default"
	}
	var (
		s       Static
		current string
		found   bool
	)
	sc := bufio.NewScanner(bytes.NewReader(file))
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			current = strings.TrimSpace(strings.TrimPrefix(l[1:len(l)-1], "profile "))
			found = found || current == profile
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return Static{}, fmt.Errorf("credentials file line %d: expected key = value", line)
		}
		if current != profile {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			s.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			s.SecretAccessKey = strings.TrimSpace(v)
		case "aws_session_token":
			s.SessionToken = strings.TrimSpace(v)
		}
	}
	switch {
	case !found:
		return Static{}, fmt.Errorf("credentials file has no profile %q", profile)
	case s.AccessKeyID == "" || s.SecretAccessKey == "":
		return Static{}, fmt.Errorf("profile %q of the credentials file needs aws_access_key_id and aws_secret_access_key", profile)
	}
	return s, nil
}

// Validate refuses credentials that cannot be written into an AWS
// credentials file as they are: each value must be one token of visible
// ASCII without '#' or ';' (comment starts). A line break in a key would
// otherwise add lines of its own to the file Velero reads — for example
// credential_process=, which runs a command. The error names the field, never
// the value.
func (s Static) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"aws_access_key_id", s.AccessKeyID}, {"aws_secret_access_key", s.SecretAccessKey}, {"aws_session_token", s.SessionToken},
	} {
		for _, r := range f.v {
			if r <= ' ' || r > '~' || r == '#' || r == ';' {
				return fmt.Errorf("%s holds a character that is not allowed (whitespace, a line break, a control or non-ASCII character, '#' or ';'): it must be one token of visible ASCII", f.name)
			}
		}
	}
	return nil
}

// INI renders credentials as the AWS credentials file Velero reads: the
// keys under [default], and once more under [profile] when profile (a CBSL's
// config.profile, which the rendered BSL passes to the AWS plugin) names
// another one. The chart's inline Secret and ExternalSecret template
// (charts/velero-managed) write the same layout; test/storagecore compares
// them.
func (s Static) INI(profile string) []byte {
	var keys bytes.Buffer
	fmt.Fprintf(&keys, "aws_access_key_id=%s\naws_secret_access_key=%s\n", s.AccessKeyID, s.SecretAccessKey)
	if s.SessionToken != "" {
		fmt.Fprintf(&keys, "aws_session_token=%s\n", s.SessionToken)
	}
	var b bytes.Buffer
	b.WriteString("[default]\n")
	b.Write(keys.Bytes())
	if profile != "" && profile != "default" {
		fmt.Fprintf(&b, "\n[%s]\n", profile)
		b.Write(keys.Bytes())
	}
	return b.Bytes()
}
