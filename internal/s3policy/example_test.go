package s3policy_test

import (
	"fmt"

	"github.com/clusterbackup/clusterbackup/internal/s3policy"
)

// A cluster's identity policy: list only below its prefix, objects only below it.
func ExampleIdentityPolicy() {
	doc, err := s3policy.IdentityPolicy(s3policy.Target{Bucket: "kkp-backups", Prefix: "seed-eu/jnpllgp66z/xkc6lgmfsn", ProjectID: "jnpllgp66z", ClusterID: "xkc6lgmfsn"})
	if err != nil {
		panic(err)
	}
	for _, s := range doc.Statement {
		fmt.Println(s.Sid, s.Action, s.Resource, s.Condition)
	}
	// Output:
	// Clusterxkc6lgmfsnListPrefix [s3:ListBucket] [arn:aws:s3:::kkp-backups] map[StringLike:map[s3:prefix:[seed-eu/jnpllgp66z/xkc6lgmfsn/ seed-eu/jnpllgp66z/xkc6lgmfsn/*]]]
	// Clusterxkc6lgmfsnBucketLocation [s3:GetBucketLocation] [arn:aws:s3:::kkp-backups] map[]
	// Clusterxkc6lgmfsnObjects [s3:AbortMultipartUpload s3:DeleteObject s3:GetObject s3:ListMultipartUploadParts s3:PutObject] [arn:aws:s3:::kkp-backups/seed-eu/jnpllgp66z/xkc6lgmfsn/*] map[]
}
