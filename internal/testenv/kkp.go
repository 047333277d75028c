package testenv

import (
	"context"
	"strings"

	"github.com/clusterbackup/clusterbackup/examples"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// KKPFleet returns the KKP-shaped fixtures (examples/kkp: objects exactly as
// KKP's dashboard and controllers write them) pointed at s: every CBSL's
// config.s3Url and region name s, and every credential Secret holds the
// keys ak/sk in KKP's layout. Nothing else is changed. The CBSLs' buckets
// are created on s.
func KKPFleet(t TB, s *S3, ak, sk string) *input.Objects {
	t.Helper()
	objs, err := input.LoadFS(examples.KKP, "kkp")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range objs.CBSLs {
		c.Object.Spec.Config[storage.ConfigS3URL] = s.Endpoint
		c.Object.Spec.Config[storage.ConfigRegion] = S3Region
		if err := s.CreateBucket(context.Background(), c.Object.Spec.ObjectStorage.Bucket); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			t.Fatal(err)
		}
	}
	for _, sec := range objs.Secrets {
		sec.Object.Data["accessKeyId"] = []byte(ak)
		sec.Object.Data["secretAccessKey"] = []byte(sk)
	}
	return objs
}
