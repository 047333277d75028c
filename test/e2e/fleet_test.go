package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// checkFleetStatus runs the built `clusterbackup fleet status -o json` on a
// fleet of the real cluster uc, whose backups the real Velero wrote (shop-1
// and the Schedule's), and four more clusters of the same CBSL and one of
// a CBSL on a closed port: uc is protected against the Schedule it runs
// (given as render --values), a cluster whose last backup is older than
// that Schedule allows is late, one whose newest backup Failed is failing,
// one without backups never backed up, and the closed port unreachable.
func checkFleetStatus(t *testing.T, f *fixture, uc *userCluster, schedule, cron string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	root := f.s3.Client(f.s3.RootAccessKey, f.s3.RootSecretKey)
	now := time.Now()
	synthetic := map[string]*fleettest.Backup{
		"lt5kq2m9xw": {Schedule: schedule, Phase: velerov1.BackupPhaseCompleted, Started: now.Add(-2 * time.Hour), Took: time.Minute},
		"fl8rt3n2pz": {Schedule: schedule, Phase: velerov1.BackupPhaseFailed, Started: now.Add(-30 * time.Second), Took: 5 * time.Second, FailureReason: "error getting backup storage location"},
		"nv4wz7k1qd": nil,
	}
	// The seed reads with the CBSL's own Secret (uc.files["secret"] may be
	// the cluster's prefix-scoped credential, which the CBSL does not name).
	files := []string{uc.files["cluster"], uc.files["cbsl"], f.write(t, "fleet-cbsl-secret.yaml", f.secret)}
	for id, b := range synthetic {
		c := uc.cluster.DeepCopy()
		c.Name = id
		files = append(files, f.write(t, "fleet-"+id+".yaml", c))
		if b != nil {
			if err := fleettest.Put(ctx, root, bucket, cbslPre+"/"+projectID+"/"+id, *b); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A second project whose storage does not answer.
	closed, err := testenv.FreePort()
	testenv.Must(t, err)
	dead := f.cbsl.DeepCopy()
	dead.Name, dead.Labels = "backups-dead", map[string]string{kkpv1.ProjectIDLabel: "dd3projx7q"}
	dead.Spec.Config = map[string]string{"region": s3env.Region, "s3Url": fmt.Sprintf("http://127.0.0.1:%d", closed)}
	dead.Spec.Credential = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "backups-dead-credentials"}}
	deadSecret := f.secret.DeepCopy()
	deadSecret.Name, deadSecret.Labels = "backups-dead-credentials", dead.Labels
	deadCluster := &kkpv1.Cluster{
		TypeMeta:   uc.cluster.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: "dd9clstr4k", Labels: dead.Labels},
		Spec:       kkpv1.ClusterSpec{BackupConfig: &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: dead.Name}}},
	}
	files = append(files, f.write(t, "fleet-dead-cbsl.yaml", dead), f.write(t, "fleet-dead-secret.yaml", deadSecret), f.write(t, "fleet-dead-cluster.yaml", deadCluster))
	values := filepath.Join(dir, "values.yaml")
	testenv.Must(t, os.WriteFile(values, fmt.Appendf(nil, "schedules:\n  %s:\n    schedule: %q\n", schedule, cron), 0o600))

	// --grace 2m: on a loaded CI machine the fleet check may start a while
	// after the Schedule's backup; the default grace of @every 1m is 30s.
	args := []string{"fleet", "status", "--values", values, "--allow-cidr", "127.0.0.1", "--timeout", "3s", "--grace", "2m", "-o", "json"}
	for _, fl := range files {
		args = append(args, "-f", fl)
	}
	out, stderr, code := testenv.RunBinary(t, args...)
	if code != 1 || !strings.Contains(stderr, "4 of 5 clusters not protected") {
		t.Fatalf("fleet status: exit %d, want 1 (4 of 5 not protected)\n%s\n%s", code, stderr, out)
	}
	var rep fleet.Report
	testenv.Must(t, json.Unmarshal([]byte(out), &rep))
	want := map[string]fleet.Verdict{uc.id: fleet.Protected, "lt5kq2m9xw": fleet.Late, "fl8rt3n2pz": fleet.Failing, "nv4wz7k1qd": fleet.NeverBackedUp, "dd9clstr4k": fleet.Unreachable}
	t.Logf("fleet status: %s", rep.String())
	for _, c := range rep.Clusters {
		if want[c.ClusterID] != c.Verdict {
			t.Errorf("%s: %s (%s), want %s", c.ClusterID, c.Verdict, c.Reason, want[c.ClusterID])
		}
		if c.ClusterID == uc.id {
			if c.LastSuccess == nil || !strings.HasPrefix(c.LastSuccess.Name, schedule+"-") || c.LastSuccess.Schedule != schedule || c.Stored < 2 {
				t.Errorf("%s: last success %+v, %d stored; want the Schedule's backup written by Velero and shop-1", uc.id, c.LastSuccess, c.Stored)
			}
			if c.Prefix != uc.prefix {
				t.Errorf("%s: prefix %s, want %s", uc.id, c.Prefix, uc.prefix)
			}
		}
	}
	if len(rep.Clusters) != len(want) || strings.Contains(out+stderr, f.s3.RootSecretKey) {
		t.Fatalf("%d clusters in the report (want %d), or a secret in the output", len(rep.Clusters), len(want))
	}
}
