package s3check

import "github.com/clusterbackup/clusterbackup/internal/s3client"

// The guarded client's vocabulary, under the names the check's callers have
// always used (one implementation: internal/s3client).
type (
	// Policy decides which addresses may be dialled (s3client.Policy).
	Policy = s3client.Policy
	// PrefixList is a repeatable CIDR flag (s3client.PrefixList).
	PrefixList = s3client.PrefixList
	// Resolver looks up a host's addresses (s3client.Resolver).
	Resolver = s3client.Resolver
	// Class names a kind of outcome (s3client.Class).
	Class = s3client.Class
	// Error is a classified failure (s3client.Error).
	Error = s3client.Error
)

// Outcome classes (s3client's).
const (
	ClassOK           = s3client.ClassOK
	ClassInvalid      = s3client.ClassInvalid
	ClassPolicy       = s3client.ClassPolicy
	ClassDNS          = s3client.ClassDNS
	ClassRefused      = s3client.ClassRefused
	ClassTimeout      = s3client.ClassTimeout
	ClassTLS          = s3client.ClassTLS
	ClassAccessDenied = s3client.ClassAccessDenied
	ClassNoSuchBucket = s3client.ClassNoSuchBucket
	ClassWrongRegion  = s3client.ClassWrongRegion
	ClassHTTP         = s3client.ClassHTTP
)

// DefaultMaxResponseBytes bounds one response body (s3client's).
const DefaultMaxResponseBytes = s3client.DefaultMaxResponseBytes

// MustPrefixes parses CIDRs and panics on a mistake (s3client.MustPrefixes).
func MustPrefixes(cidrs ...string) PrefixList { return s3client.MustPrefixes(cidrs...) }
