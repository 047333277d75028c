package s3check_test

import (
	"context"
	"net"
	"net/netip"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// allowLoopback is the test policy: only 127.0.0.1 is allowlisted.
var allowLoopback = s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1/32")}

// fakeResolver answers fixed addresses per host.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, ip := range ips {
		out = append(out, netip.MustParseAddr(ip))
	}
	return out, nil
}

func rootTarget(s *s3env.Server, bucket, prefix string) s3check.Target {
	return s3check.Target{Location: storage.Location{
		Endpoint:    s.Endpoint,
		Region:      s3env.Region,
		Bucket:      bucket,
		Prefix:      prefix,
		Credentials: creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey},
	}}
}
