package s3check

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// DefaultRegion is used when a target names no region.
const DefaultRegion = storage.DefaultRegion

// Target is one storage location to check: the location (storage.Resolve)
// and how far to probe it.
type Target struct {
	// Location is where the data lives, with its own credentials and CA;
	// Prefix may be empty (bucket root).
	storage.Location
	// ProbeIsolation also lists the bucket root and a sibling of Prefix; when
	// either works the result carries a "credential is not isolated" warning.
	ProbeIsolation bool
}

// key identifies a target in the cache. It holds no secret: the credential
// and the CA enter only as digests.
func (t Target) key() string {
	ca := sha256.Sum256(t.CACert)
	return strings.Join([]string{
		storage.CanonicalEndpoint(t.BaseURL()), t.SigningRegion(), t.Bucket, prefix.Normalize(t.Prefix),
		t.Credentials.Hash(), hex.EncodeToString(ca[:8]),
		fmt.Sprint(t.InsecureSkipTLSVerify, t.ProbeIsolation),
	}, "\x00")
}

// TargetFrom returns the target that checks a resolved storage location
// (storage.Resolve) with its own credentials and CA.
func TargetFrom(l storage.Location) Target { return Target{Location: l} }
