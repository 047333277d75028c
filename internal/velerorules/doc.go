// Package velerorules holds the user-cluster admission rules for Velero's
// BackupStorageLocation, Backup, Schedule and Restore (velero.io/v1) as pure
// functions: each takes the object (and the old object on UPDATE), the
// requester and a read-only view of the cluster (Lookup), and returns
// field errors plus admission warnings. Defaulting is kept apart from
// validation. Nothing here performs I/O; the handlers in webhook/user decode
// AdmissionReviews and feed these functions from an informer cache.
package velerorules
