// Package creds reads the static S3 credentials of a storage location from its
// Secret, in KKP's layout (accessKeyId + secretAccessKey) or as a Velero-style
// AWS credentials INI file under the key "cloud".
//
// Errors and String never contain a secret value.
package creds

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
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

// ErrNoCredentials is returned when a Secret holds neither layout.
var ErrNoCredentials = errors.New("secret holds neither accessKeyId+secretAccessKey nor an AWS credentials file under \"cloud\"")

// FromSecretData returns the credentials in a Secret's data. key names the
// data key of an AWS credentials file (Velero's spec.credential.key); when it
// is empty, KKP's two keys are tried first, then "cloud". profile selects the
// INI profile ("" means "default").
func FromSecretData(data map[string][]byte, key, profile string) (Static, error) {
	if key == "" || key == kkpv1.CredentialAccessKeyID {
		id, sec := data[kkpv1.CredentialAccessKeyID], data[kkpv1.CredentialSecretAccessKey]
		switch {
		case len(id) > 0 && len(sec) > 0:
			return Static{AccessKeyID: strings.TrimSpace(string(id)), SecretAccessKey: strings.TrimSpace(string(sec))}, nil
		case len(id) > 0:
			return Static{}, fmt.Errorf("secret has %q but no %q", kkpv1.CredentialAccessKeyID, kkpv1.CredentialSecretAccessKey)
		case len(sec) > 0:
			return Static{}, fmt.Errorf("secret has %q but no %q", kkpv1.CredentialSecretAccessKey, kkpv1.CredentialAccessKeyID)
		}
		key = kkpv1.CredentialCloudFile
	}
	file, ok := data[key]
	if !ok {
		// KKP's dashboard names the key "cloud-credentials", which its Secret
		// never holds (only the two KKP keys); KKP reads the pair whatever
		// the key says, and so do we.
		id, sec := data[kkpv1.CredentialAccessKeyID], data[kkpv1.CredentialSecretAccessKey]
		if len(id) > 0 && len(sec) > 0 {
			return Static{AccessKeyID: strings.TrimSpace(string(id)), SecretAccessKey: strings.TrimSpace(string(sec))}, nil
		}
		if key == kkpv1.CredentialCloudFile {
			return Static{}, ErrNoCredentials
		}
		return Static{}, fmt.Errorf("secret has no key %q", key)
	}
	return ParseINI(file, profile)
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

// INI renders credentials as a Velero-style AWS credentials file.
func (s Static) INI() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n", s.AccessKeyID, s.SecretAccessKey)
	if s.SessionToken != "" {
		fmt.Fprintf(&b, "aws_session_token=%s\n", s.SessionToken)
	}
	return b.Bytes()
}
