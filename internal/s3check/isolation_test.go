package s3check_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestIsolationWithGeneratedPolicy applies the bucket policy that
// `clusterbackup policy` generates for two clusters of different projects:
// each cluster's credential is usable and isolated on its own prefix and
// refused on the other's; the root credential is reported not isolated.
func TestIsolationWithGeneratedPolicy(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "kkp-backups"); err != nil {
		t.Fatal(err)
	}
	a := s3policy.Target{Bucket: "kkp-backups", Prefix: "seed-eu/pa/ca", ProjectID: "pa", ClusterID: "ca"}
	b := s3policy.Target{Bucket: "kkp-backups", Prefix: "seed-eu/pb/cb", ProjectID: "pb", ClusterID: "cb"}
	users := map[string]string{"cluster-a": "secret-of-cluster-a", "cluster-b": "secret-of-cluster-b"}
	for ak, sk := range users {
		if err := s.CreateUser(ak, sk); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := s3policy.BucketPolicy(s3policy.Grant{Target: a, Principal: "cluster-a"}, s3policy.Grant{Target: b, Principal: "cluster-b"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(s.RootAccessKey, s.RootSecretKey).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("kkp-backups"), Policy: aws.String(string(js))}); err != nil {
		t.Fatal(err)
	}
	c := s3check.New(s3check.Options{Policy: allowLoopback})
	target := func(ak, sk, pfx string) s3check.Target {
		return s3check.Target{Location: storage.Location{Endpoint: s.Endpoint, Region: s3env.Region, Bucket: "kkp-backups", Prefix: pfx,
			Credentials: creds.Static{AccessKeyID: ak, SecretAccessKey: sk}}, ProbeIsolation: true}
	}
	for ak, own := range map[string]string{"cluster-a": a.Prefix, "cluster-b": b.Prefix} {
		r := c.Check(ctx, target(ak, users[ak], own))
		if !r.OK() || r.Isolated == nil || !*r.Isolated || len(r.Warnings) != 0 {
			t.Fatalf("%s on its prefix: %s %q isolated=%v warnings=%q", ak, r.Class, r.Message, r.Isolated, r.Warnings)
		}
	}
	if r := c.Check(ctx, target("cluster-a", users["cluster-a"], b.Prefix)); r.Class != s3check.ClassAccessDenied {
		t.Fatalf("cluster-a on B's prefix: %s %q", r.Class, r.Message)
	}
	r := c.Check(ctx, target(s.RootAccessKey, s.RootSecretKey, a.Prefix))
	if !r.OK() || r.Isolated == nil || *r.Isolated {
		t.Fatalf("root credential: %s %q isolated=%v", r.Class, r.Message, r.Isolated)
	}
}
