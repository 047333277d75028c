// Package user serves the user-cluster admission webhooks for Velero's
// BackupStorageLocation, Backup, Schedule and Restore. Handlers are thin:
// they decode the AdmissionReview, switch on the operation, call the pure
// rules in internal/velerorules with an informer-backed Lookup, and turn field
// errors and warnings into the response. Setup wires them into a
// controller-runtime manager.
package user
