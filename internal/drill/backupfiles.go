package drill

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// ResourceListKey and PodVolumeBackupsKey return the keys of a backup's
// resource list and PodVolumeBackups in Velero's layout under a cluster's
// prefix (storage.Layout).
func ResourceListKey(clusterPrefix, backup string) string {
	return storage.LayoutOf(clusterPrefix).BackupResourceListKey(backup)
}

// PodVolumeBackupsKey: see ResourceListKey.
func PodVolumeBackupsKey(clusterPrefix, backup string) string {
	return storage.LayoutOf(clusterPrefix).PodVolumeBackupsKey(backup)
}

// MaxBackupFileBytes bounds a backup file read from storage, compressed
// and uncompressed: a tenant writes its prefix.
const MaxBackupFileBytes = 16 << 20

// ResourceList is what a drill needs of a backup's resource list.
type ResourceList struct {
	// Namespaces are the namespaces of the backup's namespaced items,
	// sorted.
	Namespaces []string
	// items counts, per namespace, the namespaced items a drill expects
	// back (not ExcludedResources, not what Velero never restores).
	items map[string]int
	// excluded counts, per namespace, the items ExcludedResources leaves out.
	excluded map[string]int
}

// Expected returns how many items of the namespaces nss a drill expects
// back, and how many it leaves out on purpose.
func (l ResourceList) Expected(nss []string) (expected, excluded int) {
	for _, ns := range nss {
		expected += l.items[ns]
		excluded += l.excluded[ns]
	}
	return expected, excluded
}

// ParseResourceList decodes a backup's <name>-resource-list.json.gz:
// {"<apiVersion>/<Kind>": ["<namespace>/<name>" | "<name>", …]}.
func ParseResourceList(gz []byte) (ResourceList, error) {
	var m map[string][]string
	if err := gunzipJSON(gz, &m); err != nil {
		return ResourceList{}, fmt.Errorf("resource list: %w", err)
	}
	l := ResourceList{items: map[string]int{}, excluded: map[string]int{}}
	for key, entries := range m {
		keep := restoredKind(key)
		for _, e := range entries {
			ns, _, ok := strings.Cut(e, "/")
			if !ok {
				continue // cluster-scoped
			}
			if _, seen := l.items[ns]; !seen {
				l.items[ns] = 0
				l.Namespaces = append(l.Namespaces, ns)
			}
			if keep {
				l.items[ns]++
			} else if !slices.Contains(veleroSkips, groupKind(key)) {
				l.excluded[ns]++
			}
		}
	}
	slices.Sort(l.Namespaces)
	return l, nil
}

// ParsePodVolumeBackups decodes a backup's <name>-podvolumebackups.json.gz
// (a JSON array of PodVolumeBackups); a backup without any has no file
// (nil data).
func ParsePodVolumeBackups(gz []byte) ([]velerov1.PodVolumeBackup, error) {
	if gz == nil {
		return nil, nil
	}
	var list []velerov1.PodVolumeBackup
	if err := gunzipJSON(gz, &list); err != nil {
		return nil, fmt.Errorf("pod volume backups: %w", err)
	}
	return list, nil
}

// gunzipJSON decodes gzip-compressed JSON of at most MaxBackupFileBytes.
func gunzipJSON(gz []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(zr, MaxBackupFileBytes+1))
	if err != nil {
		return err
	}
	if len(data) > MaxBackupFileBytes {
		return fmt.Errorf("larger than %d bytes uncompressed", MaxBackupFileBytes)
	}
	return json.Unmarshal(data, v)
}

// RestoreResultsKey returns the key of a Restore's results (its errors and
// warnings) in Velero's layout under a cluster's prefix.
func RestoreResultsKey(clusterPrefix, restore string) string {
	return storage.LayoutOf(clusterPrefix).RestoreResultsKey(restore)
}

// maxRestoreErrors bounds the errors a record quotes.
const maxRestoreErrors = 3

// ParseRestoreErrors decodes a Restore's results file ({"errors": {velero,
// cluster, namespaces}, "warnings": …}, gzip) and returns its first errors,
// each clipped, Velero's own first, then the cluster's, then by namespace.
func ParseRestoreErrors(gz []byte) ([]string, error) {
	var res map[string]struct {
		Velero     []string            `json:"velero"`
		Cluster    []string            `json:"cluster"`
		Namespaces map[string][]string `json:"namespaces"`
	}
	if err := gunzipJSON(gz, &res); err != nil {
		return nil, fmt.Errorf("restore results: %w", err)
	}
	e := res["errors"]
	var out []string
	add := func(where string, msgs []string) {
		for _, m := range msgs {
			if len(out) < maxRestoreErrors {
				out = append(out, Clip(where+m, 160))
			}
		}
	}
	add("", e.Velero)
	add("cluster: ", e.Cluster)
	nss := make([]string, 0, len(e.Namespaces))
	for ns := range e.Namespaces {
		nss = append(nss, ns)
	}
	slices.Sort(nss)
	for _, ns := range nss {
		add(ns+": ", e.Namespaces[ns])
	}
	return out, nil
}
