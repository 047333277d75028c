package download

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultExpires is how long a presigned URL stays valid, like the download
// URLs of Velero's DownloadRequests.
const DefaultExpires = 10 * time.Minute

// MaxExpires is SigV4's upper bound for presigned URLs.
const MaxExpires = 7 * 24 * time.Hour

// URL checks that a backup's tarball exists and returns a presigned GET URL
// for it, valid for expires (DefaultExpires when 0). The URL carries a
// signature, never the secret; anyone holding it can read the backup until
// it expires.
func (c *Client) URL(ctx context.Context, backup string, expires time.Duration) (string, error) {
	if err := ValidateBackupName(backup); err != nil {
		return "", err
	}
	if expires == 0 {
		expires = DefaultExpires
	}
	if expires < time.Second || expires > MaxExpires {
		return "", fmt.Errorf("expiry %s: must be between 1s and %s", expires, MaxExpires)
	}
	key := c.Key(backup)
	in := &s3.GetObjectInput{Bucket: aws.String(c.loc.Bucket), Key: aws.String(key)}
	if _, err := c.cl.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: in.Bucket, Key: in.Key}); err != nil {
		return "", c.objectError(ctx, "presign", backup, err)
	}
	req, err := c.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(expires))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", c.location(key), err)
	}
	for h := range req.SignedHeader {
		if !strings.EqualFold(h, "Host") {
			return "", fmt.Errorf("presign %s: the URL would need the signed header %q; a plain GET could not use it", c.location(key), h)
		}
	}
	if req.Method != http.MethodGet {
		return "", fmt.Errorf("presign %s: method %s, want GET", c.location(key), req.Method)
	}
	return req.URL, nil
}
