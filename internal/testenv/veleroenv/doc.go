// Package veleroenv is the test kit's room for Velero: the real `velero
// server` process run outside a cluster against a real API server, with the
// AWS object-store plugin, one at a time per machine (server.go), and the
// server flags of the rendered Deployment so the real server runs with the
// flags we ship (args.go).
//
// It imports the core internal/testenv and api/v1 (Velero's namespace),
// nothing else of this module.
package veleroenv
