package download

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/clusterbackup/clusterbackup/internal/s3client"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Client reads the backups of one cluster: a bucket and the cluster's prefix.
type Client struct {
	cl      *s3client.Client
	presign *s3.PresignClient
	loc     storage.Location
	layout  storage.Layout
}

// New returns a client for the backups of one cluster: loc is the
// cluster's storage location (storage.Resolve, then Location.ForCluster),
// with its own static credentials, endpoint, region, path style and CA. The
// S3 client is the guarded one (s3client.New): the endpoint host is resolved
// once and dialled only when o.Policy allows every address, no proxy (not
// even one the environment names) and no redirects, listing and error
// bodies bounded. o.Timeout defaults to DefaultTimeout. No S3 request is
// made.
func New(ctx context.Context, loc storage.Location, o s3client.Options) (*Client, error) {
	if loc.Credentials.AccessKeyID == "" || loc.Credentials.SecretAccessKey == "" {
		return nil, errors.New("credentials need an access key ID and a secret access key")
	}
	if loc.Bucket == "" || loc.Prefix == "" {
		return nil, errors.New("bucket and prefix are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	cl, err := s3client.New(ctx, loc, o)
	if err != nil {
		var e *s3client.Error
		switch {
		case !errors.As(err, &e) || e.Class == s3client.ClassInvalid:
			return nil, err
		case e.Class == s3client.ClassPolicy:
			return nil, fmt.Errorf("%w: %w", ErrEndpointDenied, e)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, e)
	}
	return &Client{cl: cl, presign: s3.NewPresignClient(cl.S3), loc: loc, layout: storage.LayoutOf(loc.Prefix)}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.cl.Close() }

// ValidateBackupName checks a backup name: Velero backups are Kubernetes
// objects, so the name is a DNS subdomain — which also keeps it one safe key
// segment.
func ValidateBackupName(name string) error {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return fmt.Errorf("backup name %q: %s", name, msgs[0])
	}
	return nil
}

// Key returns the tarball key of a backup of this client's cluster.
func (c *Client) Key(backup string) string { return c.layout.BackupContentsKey(backup) }

func (c *Client) location(key string) string { return "s3://" + c.loc.Bucket + "/" + key }
