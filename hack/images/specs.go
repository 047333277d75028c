package main

import "fmt"

// clusterbackupImage is the product image: `clusterbackup webhook` (user and
// seed mode; the entrypoint, built with -tags webhookonly) and
// /clusterbackup-controllers, every command, which the seed chart runs as
// `controllers`.
func clusterbackupImage(ref, version, bin, controllers string) (spec, error) {
	for _, b := range []string{bin, controllers} {
		if err := static(b); err != nil {
			return spec{}, err
		}
	}
	return spec{
		Ref: ref, Version: version, Title: "clusterbackup",
		Description: "clusterbackup admission webhook (user and seed mode; the entrypoint) and the seed's controllers (/clusterbackup-controllers controllers)",
		Entries:     []entry{file("/clusterbackup", bin), file("/clusterbackup-controllers", controllers), dir("/tmp", 0o1777, 0)},
		Entrypoint:  []string{"/clusterbackup"},
	}, nil
}

// veleroImage is the Velero server, node-agent and File System Restore
// helper image, laid out like upstream's: /velero and
// /velero-restore-helper. /tmp and HOME are writable for kopia and the
// plugin framework (the hardened overlay mounts emptyDirs there instead).
func veleroImage(ref, version, velero, helper string) (spec, error) {
	for _, b := range []string{velero, helper} {
		if err := static(b); err != nil {
			return spec{}, err
		}
	}
	return spec{
		Ref: ref, Version: version, Title: "velero",
		Description: "Velero server, node-agent and restore helper built from the Go module (tests only)",
		Entries: []entry{
			file("/velero", velero), file("/velero-restore-helper", helper),
			dir("/tmp", 0o1777, 0), dir("/home/velero", 0o755, nonRoot),
		},
		Entrypoint: []string{"/velero"},
		Env:        []string{"HOME=/home/velero"},
	}, nil
}

// pluginImage is the AWS object-store plugin: its binary under /plugins and
// an entrypoint that copies it to /target, as upstream's init container does.
func pluginImage(ref, version, plugin, cp string) (spec, error) {
	for _, b := range []string{plugin, cp} {
		if err := static(b); err != nil {
			return spec{}, err
		}
	}
	return spec{
		Ref: ref, Version: version, Title: "velero-plugin-for-aws",
		Description: "Velero AWS object-store plugin built from the Go module (tests only)",
		Entries:     []entry{file("/plugins/velero-plugin-for-aws", plugin), file("/bin/cp-plugin", cp)},
		Entrypoint:  []string{"/bin/cp-plugin", "/plugins/velero-plugin-for-aws", "/target/velero-plugin-for-aws"},
	}, nil
}

// pauseImage is the pod sandbox image containerd starts for every pod.
func pauseImage(ref, version, pause string) (spec, error) {
	if err := static(pause); err != nil {
		return spec{}, err
	}
	return spec{
		Ref: ref, Version: version, Title: "pause",
		Description: "pod sandbox process for the node harness (tests only)",
		Entries:     []entry{file("/pause", pause)},
		Entrypoint:  []string{"/pause"},
		User:        fmt.Sprintf("%d:%d", 65535, 65535),
	}, nil
}
