// Package versions pins the Velero server and AWS plugin pair clusterbackup
// renders by default. Velero 1.18.x pairs with velero-plugin-for-aws 1.14.x;
// Velero >= 1.18.1 fixes CVE-2026-32637.
package versions

const (
	// Velero is the default Velero server version.
	Velero = "v1.18.3"
	// VeleroPluginForAWS is the default AWS object-store plugin version.
	VeleroPluginForAWS = "v1.14.3"
)
