package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
)

// ToFile streams a backup's tarball into dest. The bytes go to a temporary
// file in dest's directory, which is synced and then renamed over dest, so
// dest appears only complete; on any failure the temporary file is removed
// and dest is left as it was. The file is created with mode 0600: a backup
// holds the cluster's Secrets. It returns the number of bytes written.
func (c *Client) ToFile(ctx context.Context, backup, dest string) (n int64, err error) {
	if err := ValidateBackupName(backup); err != nil {
		return 0, err
	}
	dir := filepath.Dir(dest)
	if st, err := os.Stat(dir); err != nil {
		return 0, fmt.Errorf("output directory: %w", err)
	} else if !st.IsDir() {
		return 0, fmt.Errorf("output directory %s is not a directory", dir)
	}
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		return 0, fmt.Errorf("output %s is a directory; name a file", dest)
	}
	key := c.Key(backup)
	// The tarball is the one body read beyond the response limit, up to its
	// declared length (checked below).
	out, err := c.cl.S3.GetObject(s3client.WithStreamedBody(ctx), &s3.GetObjectInput{Bucket: aws.String(c.loc.Bucket), Key: aws.String(key)})
	if err != nil {
		return 0, c.objectError(ctx, "download", backup, err)
	}
	defer out.Body.Close()

	f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".part-*")
	if err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the error is irrelevant then
			_ = os.Remove(tmp)
		}
	}()
	n, err = io.Copy(f, out.Body)
	if err != nil {
		if ctxErr := contextErr(err); ctxErr != nil {
			return n, fmt.Errorf("download %s: stopped after %d bytes: %w", c.location(key), n, ctxErr)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("download %s: the connection ended after %d of %d bytes: %w", c.location(key), n, aws.ToInt64(out.ContentLength), err)
		}
		return n, fmt.Errorf("download %s: %w after %d bytes: %s", c.location(key), ErrUnreachable, n, c.cl.Classify(err).Message)
	}
	if want := aws.ToInt64(out.ContentLength); out.ContentLength != nil && want != n {
		return n, fmt.Errorf("download %s: got %d bytes, the object has %d", c.location(key), n, want)
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("output: %w", err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("output: %w", err)
	}
	if err = os.Rename(tmp, dest); err != nil {
		return n, fmt.Errorf("output: %w", err)
	}
	return n, syncDir(dir)
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	return nil
}
