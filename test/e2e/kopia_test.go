package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/kopia/kopia/repo/blob"
	kopias3 "github.com/kopia/kopia/repo/blob/s3"

	"github.com/clusterbackup/clusterbackup/internal/s3policy"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// kopiaBytes is a blob.Bytes over a byte slice.
type kopiaBytes struct{ b []byte }

func (k kopiaBytes) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(k.b)
	return int64(n), err
}
func (k kopiaBytes) Length() int { return len(k.b) }
func (k kopiaBytes) Reader() io.ReadSeekCloser {
	return struct {
		io.ReadSeeker
		io.Closer
	}{bytes.NewReader(k.b), io.NopCloser(nil)}
}

// kopiaBuffer is a blob.OutputBuffer.
type kopiaBuffer struct{ bytes.Buffer }

func (k *kopiaBuffer) Length() int { return k.Len() }

// TestKopiaWithPrefixScopedCredential drives kopia's own S3 storage (the
// module Velero's File System Backup uses, repo/blob/s3 as Velero's kopia
// backend configures it: prefix <cluster prefix>/kopia/<namespace>/) against
// versitygw with a credential confined by the policy `clusterbackup policy`
// emits. Connecting (kopia reads .storageconfig and must get NotFound),
// writing, reading, listing and deleting blobs work; the same credential
// pointed at another cluster's prefix fails to connect.
func TestKopiaWithPrefixScopedCredential(t *testing.T) {
	ctx := context.Background()
	s := s3env.Start(t)
	if err := s.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	const ak, sk = "kopia-tenant", "kopia-tenant-secret-0001"
	if err := s.CreateUser(ak, sk); err != nil {
		t.Fatal(err)
	}
	own := cbslPre + "/" + projectID + "/xkc6lgmfsn"
	other := cbslPre + "/" + projectID + "/r7tqz9d2wk"
	doc, err := s3policy.BucketPolicy(s3policy.Grant{Target: s3policy.Target{Bucket: bucket, Prefix: own, ProjectID: projectID, ClusterID: "xkc6lgmfsn"}, Principal: ak})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	root := s.Client(s.RootAccessKey, s.RootSecretKey)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))}); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	connect := func(clusterPrefix, region string) (blob.Storage, error) {
		return kopias3.New(ctx, &kopias3.Options{
			BucketName: bucket, Prefix: clusterPrefix + "/kopia/shop/", Endpoint: u.Host, DoNotUseTLS: true,
			AccessKeyID: ak, SecretAccessKey: sk, Region: region,
		}, false)
	}

	// With the region (Velero passes the BSL's) and without it (minio-go
	// then asks for the bucket location, which the policy grants).
	for _, region := range []string{s3env.Region, ""} {
		st, err := connect(own, region)
		if err != nil {
			t.Fatalf("region %q: kopia cannot connect with the prefix-scoped credential: %v", region, err)
		}
		id := blob.ID("p" + strings.Repeat("0", 31) + region)
		if err := st.PutBlob(ctx, id, kopiaBytes{[]byte("pack-data")}, blob.PutOptions{}); err != nil {
			t.Fatalf("put blob: %v", err)
		}
		var got kopiaBuffer
		if err := st.GetBlob(ctx, id, 0, -1, &got); err != nil || got.String() != "pack-data" {
			t.Fatalf("get blob: %q, %v", got.String(), err)
		}
		if _, err := st.GetMetadata(ctx, "missing"); !errors.Is(err, blob.ErrBlobNotFound) {
			t.Fatalf("metadata of a missing blob: %v, want ErrBlobNotFound", err)
		}
		var ids []blob.ID
		if err := st.ListBlobs(ctx, "p", func(m blob.Metadata) error { ids = append(ids, m.BlobID); return nil }); err != nil || len(ids) == 0 {
			t.Fatalf("list blobs: %v, %v", ids, err)
		}
		if err := st.DeleteBlob(ctx, id); err != nil {
			t.Fatalf("delete blob: %v", err)
		}
		_ = st.Close(ctx)
	}
	out, err := root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		if !strings.HasPrefix(aws.ToString(o.Key), own+"/kopia/shop/") {
			t.Fatalf("kopia wrote %q outside its repository prefix", aws.ToString(o.Key))
		}
	}

	if _, err := connect(other, s3env.Region); err == nil || !strings.Contains(err.Error(), "Access Denied") {
		t.Fatalf("connecting to another cluster's repository: %v, want Access Denied", err)
	}
}
