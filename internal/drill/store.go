package drill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// MaxRecordBytes bounds a record read from storage.
const MaxRecordBytes = 256 << 10

// Keep is how many records of a cluster Put keeps (the newest).
const Keep = 50

// Store reads and writes one cluster's drill records and reads its backup
// files, through a client of the CBSL's own credentials.
type Store struct {
	// Client is the S3 client (s3client.New, through s3check.Checker.Client).
	Client *s3client.Client
	// Bucket is the CBSL's bucket.
	Bucket string
	// Dir is the cluster's records folder (Dir).
	Dir string
}

// Put writes a signed record under key, then deletes the cluster's records
// beyond the newest Keep.
func (s Store) Put(ctx context.Context, key string, data []byte) error {
	if !strings.HasPrefix(key, s.Dir) {
		return fmt.Errorf("record key %q is outside %q", key, s.Dir)
	}
	if _, err := s.Client.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: aws.String("application/json"),
	}); err != nil {
		return fmt.Errorf("write drill record %s: %s", key, s.Client.Classify(err).Message)
	}
	keys, err := s.Keys(ctx)
	if err != nil {
		return err
	}
	for len(keys) > Keep {
		if _, err := s.Client.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(keys[0])}); err != nil {
			return fmt.Errorf("delete old drill record %s: %s", keys[0], s.Client.Classify(err).Message)
		}
		keys = keys[1:]
	}
	return nil
}

// Keys lists the cluster's record keys, oldest first (their names start
// with the time), at most 10 pages of 1,000.
func (s Store) Keys(ctx context.Context) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Dir)}
	var keys []string
	for page := 0; page < 10; page++ {
		out, err := s.Client.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list drill records under %s: %s", s.Dir, s.Client.Classify(err).Message)
		}
		for _, o := range out.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") && !strings.Contains(strings.TrimPrefix(k, s.Dir), "/") {
				keys = append(keys, k)
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	slices.Sort(keys)
	return keys, nil
}

// Get reads an object of at most max bytes; a missing object is (nil, nil).
func (s Store) Get(ctx context.Context, key string, max int64) ([]byte, error) {
	out, err := s.Client.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		var nk *types.NoSuchKey
		var code interface{ ErrorCode() string }
		if errors.As(err, &nk) || (errors.As(err, &code) && code.ErrorCode() == "NotFound") {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s: %s", key, s.Client.Classify(err).Message)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %s", key, s.Client.Classify(err).Message)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read %s: larger than %d bytes", key, max)
	}
	return data, nil
}
