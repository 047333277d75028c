// Package s3env is the test kit's room for S3: a real versitygw server on
// 127.0.0.1 (or a node harness's address) with its own root user and a
// data directory tests can read (server.go: Start, StartOn, New, Keys,
// Client), a KKP storage location and its Secret on it (location.go), and
// the bundled KKP fleet pointed at it and written out as files (kkp.go).
//
// It imports the core internal/testenv, api/v1, examples, internal/input
// and internal/storage, nothing else of this module.
package s3env
