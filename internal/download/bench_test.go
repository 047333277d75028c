package download

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// BenchmarkToFile streams a 64 MiB tarball from versitygw on loopback into a
// file (temp file, fsync, rename). B/op stays far below the object size:
// the download streams instead of buffering.
func BenchmarkToFile(b *testing.B) {
	s := s3env.Start(b)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64<<20)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(storage.LayoutOf("p/c").BackupContentsKey("b1")), Body: bytes.NewReader(data)}); err != nil {
		b.Fatal(err)
	}
	c, err := New(ctx, storage.Location{Endpoint: s.Endpoint, Bucket: "bkt", Prefix: "p/c", PathStyle: true, Credentials: creds.Static{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecretKey}}, allowLoopback)
	if err != nil {
		b.Fatal(err)
	}
	dest := filepath.Join(b.TempDir(), "b1.tar.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n, err := c.ToFile(ctx, "b1", dest); err != nil || n != int64(len(data)) {
			b.Fatalf("ToFile = %d, %v", n, err)
		}
	}
}
