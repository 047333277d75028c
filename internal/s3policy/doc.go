// Package s3policy builds the S3 bucket policy and the IAM identity policy that
// confine a user cluster's dedicated credential to the cluster's own prefix —
// the first isolation guideline of KKP's integrated user cluster backup.
//
// A cluster's grant allows exactly:
//
//   - s3:ListBucket on the bucket, only for listings whose s3:prefix is
//     "<prefix>/" or lies below it (Velero always lists "<prefix>/...");
//   - s3:GetBucketLocation on the bucket (the AWS plugin and kopia look it up);
//   - s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload and
//     s3:ListMultipartUploadParts on "arn:aws:s3:::<bucket>/<prefix>/*".
//
// Nothing at the bucket root, nothing under another prefix. A listing whose
// prefix is the bare "<prefix>" (no trailing slash) is deliberately not
// allowed: it would also return the keys of a sibling whose ID extends this
// one ("p/c1" lists "p/c10/...").
//
// Everything here is pure and deterministic: the same input gives
// byte-identical JSON.
package s3policy
