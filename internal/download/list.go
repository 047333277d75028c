package download

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxListed is how many existing backup names a missing-backup error shows.
const MaxListed = 5

// Backups returns up to limit backup names under the cluster's backups
// folder, in S3's lexical order; more reports whether there are further ones.
func (c *Client) Backups(ctx context.Context, limit int) (names []string, more bool, err error) {
	names, more, err = c.listBackups(ctx, limit)
	if err != nil {
		return nil, false, c.classify("list", c.layout.BackupsDir(), err)
	}
	return names, more, nil
}

// listBackups is Backups with the SDK's error unclassified.
func (c *Client) listBackups(ctx context.Context, limit int) (names []string, more bool, err error) {
	dir := c.layout.BackupsDir()
	out, err := c.cl.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:    aws.String(c.loc.Bucket),
		Prefix:    aws.String(dir),
		Delimiter: aws.String("/"),
		MaxKeys:   aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, false, err
	}
	for _, p := range out.CommonPrefixes {
		if n := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), dir), "/"); n != "" {
			names = append(names, n)
		}
	}
	return names, aws.ToBool(out.IsTruncated), nil
}

// objectError classifies a failed read of a backup's tarball. A missing
// object becomes a *MissingBackupError listing what exists. A 403 is
// re-checked with a listing of the backups folder: AWS answers 403 for a
// missing key when the caller may not list the exact key, and a HEAD cannot
// say why it was refused, while the listing names the cause.
func (c *Client) objectError(ctx context.Context, op, backup string, err error) error {
	key := c.Key(backup)
	cerr := c.classify(op, key, err)
	switch {
	case errors.Is(cerr, ErrNotFound):
		return c.missing(ctx, backup, key)
	case errors.Is(cerr, ErrCredentialsRejected):
		return cerr
	case errors.Is(cerr, ErrAccessDenied):
		names, more, lerr := c.listBackups(ctx, MaxListed)
		if lerr != nil {
			// The listing names the cause a HEAD cannot (e.g. a wrong
			// secret); report it for the object asked for.
			if lc := c.classify(op, key, lerr); errors.Is(lc, ErrCredentialsRejected) {
				return lc
			}
			return cerr
		}
		if !more && !contains(names, backup) {
			return &MissingBackupError{Backup: backup, Location: c.location(key), Dir: c.layout.BackupsDir(), Existing: names}
		}
	}
	return cerr
}

func (c *Client) missing(ctx context.Context, backup, key string) error {
	e := &MissingBackupError{Backup: backup, Location: c.location(key), Dir: c.layout.BackupsDir()}
	e.Existing, e.More, e.ListErr = c.Backups(ctx, MaxListed)
	return e
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
