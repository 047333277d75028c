// Package drill is the pure core of restore drills (issue #28): what a
// drill restores and how (Plan: scratch namespaces, their deny-all
// NetworkPolicy and ResourceQuota, Velero's resource modifiers and the
// Restore), how its result is judged (Judge), the evidence it leaves (Record,
// signed with ed25519: Sign, Verify) and where that evidence lives in the
// bucket (Dir, Key) — outside every cluster's Velero prefix, where the
// cluster's own credential can neither write nor delete (see docs/drills.md).
//
// The seed's drill controller (controllers/drill), `clusterbackup drill run`
// and `clusterbackup drill verify` and the fleet inventory (internal/fleet)
// all use it; nothing else spells a drill's names, labels or keys.
package drill
