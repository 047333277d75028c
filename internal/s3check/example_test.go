package s3check_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// A checker with a tight budget refuses a metadata endpoint before dialling.
func ExampleChecker_Check() {
	c := s3check.New(s3check.Options{Budget: 2 * time.Second})
	r := c.Check(context.Background(), s3check.Target{
		Endpoint:    "http://169.254.169.254",
		Region:      "us-east-1",
		Bucket:      "backups",
		Credentials: creds.Static{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "never-printed"},
	})
	fmt.Println(r.Class)
	fmt.Println(r.Message)
	// Output:
	// EndpointDenied
	// endpoint address 169.254.169.254 is not allowed: cloud metadata address
}

// Policy decisions: built-in denials can be allowlisted, configured denials
// cannot.
func ExamplePolicy_Check() {
	p := s3check.Policy{Allow: s3check.MustPrefixes("127.0.0.1"), Deny: s3check.MustPrefixes("10.96.0.0/12")}
	for _, a := range []string{"127.0.0.1", "127.0.0.2", "10.96.0.1", "203.0.113.7"} {
		fmt.Println(a, p.Check(a, netip.MustParseAddr(a)) == nil)
	}
	// Output:
	// 127.0.0.1 true
	// 127.0.0.2 false
	// 10.96.0.1 false
	// 203.0.113.7 true
}
