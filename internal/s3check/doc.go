// Package s3check answers one question about an S3 storage location: can its
// own static credentials reach the bucket and list the prefix, right now?
//
// A check is HeadBucket plus ListObjectsV2 on the prefix (at most one key),
// made with the location's static credentials only (never the environment,
// shared config files, IMDS or ECS), over an HTTP transport of its own (the
// location's CA, no redirects, the process-wide default transport untouched),
// inside a hard time budget that bounds SDK retries too.
//
// Before anything is dialled, the endpoint's host is resolved once and every
// address is checked against a Policy (loopback, link-local, cloud metadata,
// unspecified, multicast and configured CIDRs are denied unless allowlisted);
// the transport then dials exactly the checked address, so DNS rebinding
// cannot redirect the check.
//
// Results are cached per endpoint, region, bucket, prefix, CA and credential
// hash, and concurrent checks of the same target share one S3 round trip.
// Every failure is classified (DNS, refused, timeout, TLS, access denied, no
// such bucket, wrong region, policy, ...) with a message that never contains a
// response body, a secret or the access key ID (messages reach admission
// answers and CBSL status).
package s3check
