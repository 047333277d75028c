package s3policy

import (
	"bytes"
	"encoding/json"
)

// Version is the IAM policy language version every document uses.
const Version = "2012-10-17"

// Document is an IAM policy document (bucket or identity policy). Field order
// is the JSON order.
type Document struct {
	// Version is always Version.
	Version string `json:"Version"`
	// Statement lists the grants, in a stable order.
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Principal is set in bucket policies and
// empty in identity policies.
type Statement struct {
	// Sid is a stable, alphanumeric statement ID derived from the cluster ID.
	Sid string `json:"Sid"`
	// Effect is always "Allow": the policies only grant.
	Effect string `json:"Effect"`
	// Principal names the credential a bucket policy statement applies to.
	Principal *Principal `json:"Principal,omitempty"`
	// Action lists the allowed S3 actions.
	Action []string `json:"Action"`
	// Resource lists the bucket or object ARNs the actions apply to.
	Resource []string `json:"Resource"`
	// Condition maps an operator to condition keys and their values.
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Principal is the Principal element of a bucket policy statement.
type Principal struct {
	// AWS lists access key IDs or IAM ARNs.
	AWS []string `json:"AWS"`
}

// JSON returns the document as indented JSON with a trailing newline. Maps are
// written with sorted keys, so the output is deterministic.
func (d *Document) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AWS size limits of policy documents, counted without whitespace.
const (
	// MaxBucketPolicyBytes is AWS's limit for a bucket policy (20 KB), about
	// 23 clusters with ARN principals.
	MaxBucketPolicyBytes = 20 * 1024
	// MaxInlineUserPolicyBytes is AWS's limit for an IAM user's inline policies.
	MaxInlineUserPolicyBytes = 2048
)

// Size returns the document's length as AWS counts it: compact JSON, no
// whitespace.
func (d *Document) Size() (int, error) {
	b, err := json.Marshal(d)
	return len(b), err
}
