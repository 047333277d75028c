package user_test

import (
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

const alice = "alice"

func testConfig() velerorules.Config {
	return velerorules.Config{
		Managed:           velerorules.Location{Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "kkp/p1/c1"},
		ManagedBSLEditors: []string{"system:serviceaccount:argocd:argocd-application-controller"},
	}
}
