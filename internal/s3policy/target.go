package s3policy

import "github.com/clusterbackup/clusterbackup/internal/storage"

// Target is where one cluster's backups live; build it with
// storage.TargetFor, which applies the storage core's rules (among them a
// prefix free of IAM wildcard and variable characters).
type Target = storage.Location
