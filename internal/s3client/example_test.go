package s3client_test

import (
	"fmt"
	"net/netip"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// Policy decisions: built-in denials can be allowlisted, configured denials
// cannot.
func ExamplePolicy_Check() {
	p := s3client.Policy{Allow: s3client.MustPrefixes("127.0.0.1"), Deny: s3client.MustPrefixes("10.96.0.0/12")}
	for _, a := range []string{"127.0.0.1", "127.0.0.2", "10.96.0.1", "203.0.113.7"} {
		fmt.Println(a, p.Check(a, netip.MustParseAddr(a)) == nil)
	}
	// Output:
	// 127.0.0.1 true
	// 127.0.0.2 false
	// 10.96.0.1 false
	// 203.0.113.7 true
}
