package drill

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/prefix"
)

// RecordsFolder is the folder, beside the project folders under a CBSL's
// prefix, that holds every drill record of that CBSL's clusters:
// <CBSL prefix>/_drills/<projectID>/<clusterID>/. No project ID can be
// "_drills" (IDs are RFC 1123 labels), so it is never inside a cluster's
// Velero prefix (<CBSL prefix>/<projectID>/<clusterID>), whose top level
// Velero keeps to its own folders — the BSL stays Available — and which is
// all a cluster's credential may write or delete (internal/s3policy).
const RecordsFolder = "_drills"

// keyTime is the UTC time layout at the start of a record's name: records
// sort by time lexically.
const keyTime = "20060102T150405Z"

// Dir returns the folder of a cluster's drill records ("/"-terminated),
// given the cluster's effective prefix (join(CBSL prefix, projectID,
// clusterID), storage.Location.Prefix after ForCluster or TargetFor) and its IDs.
func Dir(clusterPrefix, projectID, clusterID string) (string, error) {
	tail := projectID + "/" + clusterID
	p := prefix.Normalize(clusterPrefix)
	if p != tail && !strings.HasSuffix(p, "/"+tail) {
		return "", fmt.Errorf("prefix %q does not end in the cluster's %s", clusterPrefix, tail)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(p, tail), "/")
	return path.Join(base, RecordsFolder, projectID, clusterID) + "/", nil
}

// Key returns the key of a drill's record in dir (Dir): the drill's start
// time (UTC, second precision), its run ID and its outcome. The outcome in
// the name lets a listing draw a cluster's drill history without reading
// every record; only a verified record's outcome is evidence.
func Key(dir string, started time.Time, run string, outcome Outcome) string {
	return dir + started.UTC().Format(keyTime) + "-" + run + "-" + string(outcome) + ".json"
}

// KeyOutcome returns the outcome in a record's key (Key), or "".
func KeyOutcome(key string) Outcome {
	base := strings.TrimSuffix(path.Base(key), ".json")
	for _, o := range []Outcome{Passed, Failed} {
		if strings.HasSuffix(base, "-"+string(o)) {
			return o
		}
	}
	return ""
}

// KeyTime returns the time in a record's key (Key), if it has one.
func KeyTime(key string) (time.Time, bool) {
	base := path.Base(key)
	if len(base) < len(keyTime) {
		return time.Time{}, false
	}
	t, err := time.Parse(keyTime, base[:len(keyTime)])
	return t, err == nil
}
