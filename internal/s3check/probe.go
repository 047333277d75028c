package s3check

import (
	"context"
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
	fail := func(f failure) Result { return Result{Class: f.class, Message: f.msg} }
	cl, err := c.Client(ctx, t, ClientOptions{})
	if err != nil {
		e := err.(*Error)
		return fail(failure{e.Class, e.Message})
	}
	defer cl.Close()
	client, p := cl.S3, cl.p

	_, headErr := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(t.Bucket)})
	if headErr != nil {
		if f := classify(headErr, p); f.class != ClassAccessDenied && f.class != ClassHTTP {
			return fail(f)
		}
		// Prefix-scoped credentials may not HeadBucket, and a HEAD answer
		// has no body to name the error: the list on the prefix decides.
	}
	if err := list(ctx, client, t.Bucket, t.listPrefix()); err != nil {
		return fail(classify(err, p))
	}
	res := Result{Class: ClassOK, Message: fmt.Sprintf("bucket %q at %s is reachable and %s is listable", t.Bucket, p.endpoint, where(t.listPrefix()))}
	if headErr != nil {
		res.Message += " (HeadBucket refused: prefix-scoped credential)"
	}
	if t.ProbeIsolation {
		c.probeIsolation(ctx, client, p, &res)
	}
	return res
}

// probeIsolation lists the bucket root and a sibling of the prefix; a
// credential that can do either is not confined to its prefix.
func (c *Checker) probeIsolation(ctx context.Context, client *s3.Client, p probe, res *Result) {
	own := prefix.Normalize(p.t.Prefix)
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
		err := list(ctx, client, p.t.Bucket, lp)
		if err == nil {
			isolated = false
			res.Warnings = append(res.Warnings, fmt.Sprintf("credential is not isolated: it can list %s, outside prefix %q", where(lp), own+"/"))
			continue
		}
		if f := classify(err, p); f.class != ClassAccessDenied {
			res.Warnings = append(res.Warnings, fmt.Sprintf("isolation of the credential not verified for %s: %s", where(lp), f.msg))
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
