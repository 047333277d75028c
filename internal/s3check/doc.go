// Package s3check answers one question about an S3 storage location: can its
// own static credentials reach the bucket and list the prefix, right now?
//
// A check is HeadBucket plus ListObjectsV2 on the prefix (at most one key),
// made through the guarded client of internal/s3client (the location's own
// static credentials, the endpoint policy checked before anything is
// dialled and the checked addresses pinned, no proxy, no redirects, bounded
// bodies, one classifier), inside a hard time budget that bounds SDK
// retries too. Checker.Client hands the same client, with the Checker's
// policy, to the loops that read storage.
//
// Results are cached per endpoint, region, bucket, prefix, CA and credential
// hash, and concurrent checks of the same target share one S3 round trip.
// Every failure is classified (DNS, refused, timeout, TLS, access denied, no
// such bucket, wrong region, policy, ...) with a message that never contains a
// response body, a secret or the access key ID (messages reach admission
// answers and CBSL status).
package s3check
