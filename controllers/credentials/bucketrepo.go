package credentials

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/kopia/kopia/repo/format"

	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// Bounds of the bucket check (BucketRepos.LockedOut).
const (
	// maxRepositories is how many Kopia repositories (volume namespaces
	// under <prefix>/kopia/) are examined; a prefix with more counts as
	// holding one the password cannot open, so the password stays.
	maxRepositories = 50
	// maxFormatBlobBytes bounds the read of one kopia.repository blob
	// (kopia's own is below 1 KiB; it caps checksummed ones at 65,000).
	maxFormatBlobBytes = 64 << 10
)

// BucketRepos looks into a cluster's storage prefix for the Kopia
// repositories Velero's File System Backup made there, Velero's layout
// <prefix>/kopia/<volume namespace>/kopia.repository, through the guarded
// S3 client of internal/s3check (the endpoint policy, the location's own
// static credentials, bounded responses). It reads only format blobs,
// never repository content.
type BucketRepos struct {
	// Checker builds the S3 clients.
	Checker *s3check.Checker
}

// LockedOut returns the first Kopia repository under loc's prefix that pw
// does not open ("" when every one opens, or there is none): the
// repositories a Velero switched to pw would no longer read. A prefix
// holding more than maxRepositories counts as locked out.
func (b *BucketRepos) LockedOut(ctx context.Context, loc storage.Location, pw []byte) (string, error) {
	cl, err := b.Checker.Client(ctx, s3check.TargetFrom(loc), s3check.ClientOptions{MaxResponseBytes: 1 << 20})
	if err != nil {
		return "", fmt.Errorf("check %s for kopia repositories: %w", loc, err)
	}
	defer cl.Close()
	root := KopiaRoot(loc.Prefix)
	out, err := cl.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(loc.Bucket), Prefix: aws.String(root), Delimiter: aws.String("/"), MaxKeys: aws.Int32(maxRepositories + 1),
	})
	if err != nil {
		return "", fmt.Errorf("list kopia repositories under %s in %s: %w", root, loc, cl.Classify(err))
	}
	if aws.ToBool(out.IsTruncated) || len(out.CommonPrefixes) > maxRepositories {
		return fmt.Sprintf("%s (more than %d repositories)", root, maxRepositories), nil
	}
	for _, cp := range out.CommonPrefixes {
		key := aws.ToString(cp.Prefix) + format.KopiaRepositoryBlobID
		blob, err := getBounded(ctx, cl, loc.Bucket, key)
		if err != nil {
			return "", fmt.Errorf("read %s in %s: %w", key, loc, err)
		}
		if blob != nil && !Opens(blob, pw) {
			return key, nil
		}
	}
	return "", nil
}

// KopiaRoot is where Velero keeps a location's Kopia repositories:
// <prefix>/kopia/ (kopia/ at the bucket root).
func KopiaRoot(prefix string) string {
	if prefix = strings.Trim(prefix, "/"); prefix == "" {
		return "kopia/"
	}
	return prefix + "/kopia/"
}

// getBounded reads one object of at most maxFormatBlobBytes; nil when it
// does not exist.
func getBounded(ctx context.Context, cl *s3check.Client, bucket, key string) ([]byte, error) {
	out, err := cl.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, nil
	}
	if err != nil {
		return nil, cl.Classify(err)
	}
	defer func() { _ = out.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxFormatBlobBytes+1))
	if err != nil {
		return nil, cl.Classify(err)
	}
	if len(b) > maxFormatBlobBytes {
		return nil, fmt.Errorf("larger than %d bytes: no kopia format blob", maxFormatBlobBytes)
	}
	return b, nil
}

// Opens reports whether pw opens the Kopia repository whose format blob
// (kopia.repository) is blob: the key kopia derives from the password and
// the repository's unique ID decrypts the repository's encrypted format
// (kopia repo/format: AES256-GCM with HKDF-SHA256 subkeys "AES" and
// "CHECKSUM", the unique ID as salt). A blob that is not such a format
// never opens.
func Opens(blob, pw []byte) bool {
	f, err := format.ParseKopiaRepositoryJSON(blob)
	if err != nil || f.EncryptionAlgorithm != format.DefaultFormatEncryption || len(f.EncryptedFormatBytes) == 0 {
		return false
	}
	master, err := f.DeriveFormatEncryptionKeyFromPassword(string(pw))
	if err != nil {
		return false
	}
	aesKey, err1 := hkdf.Key(sha256.New, master, f.UniqueID, "AES", 32)
	auth, err2 := hkdf.Key(sha256.New, master, f.UniqueID, "CHECKSUM", 32)
	if err1 != nil || err2 != nil {
		return false
	}
	blk, err := aes.NewCipher(aesKey)
	if err != nil {
		return false
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil || len(f.EncryptedFormatBytes) < gcm.NonceSize() {
		return false
	}
	nonce, payload := f.EncryptedFormatBytes[:gcm.NonceSize()], f.EncryptedFormatBytes[gcm.NonceSize():]
	_, err = gcm.Open(nil, nonce, payload, auth)
	return err == nil
}
