package s3env_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// TestVersityGW exercises the S3 server the way the product does: bucket,
// put under a prefix, list by prefix, presigned GET.
func TestVersityGW(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.RootAccessKey, s.RootSecretKey)
	body := []byte("tarball bytes")
	for _, key := range []string{"p1/c1/backups/b1/b1.tar.gz", "p1/c10/backups/b2/b2.tar.gz"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("backups"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("backups"), Prefix: aws.String("p1/c1/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "p1/c1/backups/b1/b1.tar.gz" {
		t.Fatalf("list p1/c1/ = %v, want exactly b1", keys(out.Contents))
	}
	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("backups"), Key: aws.String("p1/c1/backups/b1/b1.tar.gz")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET = %d %q, want 200 %q", resp.StatusCode, got, body)
	}
	resp, err = http.Get(pre.URL + "x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered presigned GET = %d, want 403", resp.StatusCode)
	}
}

func keys(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}
