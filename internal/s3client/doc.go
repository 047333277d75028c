// Package s3client is the one way this module reaches object storage: an S3
// client for one storage.Location with every guard, shared by the
// reachability check (internal/s3check), `clusterbackup download`
// (internal/download), the fleet inventory (internal/fleet), the restore
// drills' record store (internal/drill) and the credentials loop.
//
// Before anything is dialled, the endpoint's host is resolved once and every
// address is checked against a Policy (loopback, link-local, cloud metadata,
// unspecified, multicast, the host's own addresses and configured CIDRs are
// denied unless allowlisted); the transport then dials exactly the checked
// addresses, so DNS rebinding cannot redirect a request. Requests are signed
// with the location's own static credentials only (never the environment,
// shared config files, IMDS or ECS), over a transport of the client's own:
// the location's CA, no proxy (not even one the environment names), no
// redirects, every response body bounded (LimitResponses; only a 2xx answer
// to a request marked WithStreamedBody streams its declared length), SDK
// retries bounded.
//
// Every failure is classified once (Client.Classify: DNS, refused, timeout,
// TLS, access denied, no such bucket or key, wrong region, policy, ...) with
// a message that never contains a response body, a secret or the access key
// ID, plus the S3 error code and HTTP status for callers that word their own
// messages.
//
// It imports the storage core (internal/storage) and the AWS SDK only.
package s3client
