package seed

import (
	"strconv"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/creds"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// TargetFor returns what the reachability check probes for a valid CBSL:
// its endpoint, region, bucket, prefix, CA (spec.objectStorage.caCert, else
// ca, else config.caCert) and its own static credentials.
func TargetFor(c *kkpv1.ClusterBackupStorageLocation, st creds.Static, ca []byte) s3check.Target {
	cfg := c.Spec.Config
	insecure, _ := strconv.ParseBool(cfg[configInsecureSkipTLSVerify])
	t := s3check.Target{
		Endpoint:              cfg[configS3URL],
		Region:                cfg[configRegion],
		Credentials:           st,
		InsecureSkipTLSVerify: insecure,
	}
	if os := c.Spec.ObjectStorage; os != nil {
		t.Bucket, t.Prefix = os.Bucket, os.Prefix
		if len(os.CACert) > 0 {
			ca = os.CACert
		}
	}
	if len(ca) == 0 && cfg[configCACert] != "" {
		ca = []byte(cfg[configCACert])
	}
	t.CACert = ca
	return t
}
