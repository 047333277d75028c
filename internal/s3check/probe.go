package s3check

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// isolationProbeSegment names the sibling prefix the isolation probe lists;
// it need not exist, listing it must merely be denied.
const isolationProbeSegment = "clusterbackup-isolation-probe"

// probe runs the S3 requests of one check.
func (c *Checker) probe(ctx context.Context, t Target) Result {
	fail := func(e *Error) Result { return Result{Class: e.Class, Message: e.Message} }
	cl, err := c.Client(ctx, t, ClientOptions{})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Class: ClassInvalid, Message: err.Error()}
		}
		return fail(e)
	}
	defer cl.Close()
	client := cl.S3

	_, headErr := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(t.Bucket)})
	if headErr != nil {
		if f := cl.Classify(headErr); f.Class != ClassAccessDenied && f.Class != ClassHTTP {
			return fail(f)
		}
		// Prefix-scoped credentials may not HeadBucket, and a HEAD answer
		// has no body to name the error: the list on the prefix decides.
	}
	if err := list(ctx, client, t.Bucket, t.ListPrefix()); err != nil {
		return fail(cl.Classify(err))
	}
	res := Result{Class: ClassOK, Message: fmt.Sprintf("bucket %q at %s is reachable and %s is listable", t.Bucket, cl.Endpoint(), where(t.ListPrefix()))}
	if headErr != nil {
		res.Message += " (HeadBucket refused: prefix-scoped credential)"
	}
	if t.ProbeIsolation {
		c.probeIsolation(ctx, cl, t, &res)
	}
	return res
}

// probeIsolation lists the bucket root and a sibling of the prefix; a
// credential that can do either is not confined to its prefix.
func (c *Checker) probeIsolation(ctx context.Context, cl *Client, t Target, res *Result) {
	own := prefix.Normalize(t.Prefix)
	if own == "" {
		isolated := false
		res.Isolated = &isolated
		res.Warnings = append(res.Warnings, "credential is not isolated: the location is the bucket root")
		return
	}
	sibling := isolationProbeSegment + "/"
	if dir := path.Dir(own); dir != "." {
		sibling = dir + "/" + isolationProbeSegment + "/"
	}
	isolated := true
	for _, lp := range []string{"", sibling} {
		err := list(ctx, cl.S3, t.Bucket, lp)
		if err == nil {
			isolated = false
			res.Warnings = append(res.Warnings, fmt.Sprintf("credential is not isolated: it can list %s, outside prefix %q", where(lp), own+"/"))
			continue
		}
		if f := cl.Classify(err); f.Class != ClassAccessDenied {
			res.Warnings = append(res.Warnings, fmt.Sprintf("isolation of the credential not verified for %s: %s", where(lp), f.Message))
			isolated = false
		}
	}
	res.Isolated = &isolated
}

func list(ctx context.Context, client *s3.Client, bucket, lp string) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)}
	if lp != "" {
		in.Prefix = aws.String(lp)
	}
	_, err := client.ListObjectsV2(ctx, in)
	return err
}

func where(lp string) string {
	if lp == "" {
		return "the bucket root"
	}
	return fmt.Sprintf("prefix %q", lp)
}
