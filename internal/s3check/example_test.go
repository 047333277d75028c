package s3check_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// A checker with a tight budget refuses a metadata endpoint before dialling.
func ExampleChecker_Check() {
	c := s3check.New(s3check.Options{Budget: duration.Of(2 * time.Second)})
	r := c.Check(context.Background(), s3check.Target{Location: storage.Location{
		Endpoint:    "http://169.254.169.254",
		Region:      "us-east-1",
		Bucket:      "backups",
		Credentials: creds.Static{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "never-printed"},
	}})
	fmt.Println(r.Class)
	fmt.Println(r.Message)
	// Output:
	// EndpointDenied
	// endpoint address 169.254.169.254 is not allowed: cloud metadata address
}
