package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/cbslstatus"
	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/test/seedcluster"
)

// TestStatusLoop runs the controllers process with the CBSL status loop on
// a short period and cache, beside the seed webhooks (their own manager):
// CBSL status follows the storage, and no secret reaches a log, a status or
// an Event.
func TestStatusLoop(t *testing.T) {
	ctx := context.Background()
	sd := startSeed(t)
	check := s3check.Options{CacheTTL: duration.Of(500 * time.Millisecond), FailureTTL: duration.Of(500 * time.Millisecond)}
	sd.StartControllers(t, controllers.Options{Check: check, Status: cbslstatus.Options{Enabled: true, Period: duration.Of(time.Second)}})
	s := sd.S3
	secret(t, sd, "good", s.RootAccessKey, s.RootSecretKey)
	secret(t, sd, "wrong", s.RootAccessKey, wrongSecret)

	t.Run("Available, then Unavailable after the bucket is removed", func(t *testing.T) {
		if err := s.CreateBucket(ctx, "doomed"); err != nil {
			t.Fatal(err)
		}
		c := cbsl(sd, "watched", "doomed", "good")
		if err := sd.Client.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		got := waitPhase(t, sd, c, velerov1.BackupStorageLocationPhaseAvailable)
		if got.Status.LastValidationTime == nil || !strings.Contains(got.Status.Message, `bucket "doomed"`) {
			t.Fatalf("status = %+v", got.Status)
		}
		if _, err := s.Client(s.RootAccessKey, s.RootSecretKey).DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("doomed")}); err != nil {
			t.Fatal(err)
		}
		got = waitPhase(t, sd, c, velerov1.BackupStorageLocationPhaseUnavailable)
		if !strings.Contains(got.Status.Message, `S3 check failed (NoSuchBucket): bucket "doomed" does not exist`) {
			t.Fatalf("message = %q", got.Status.Message)
		}
	})
	t.Run("a wrong secret is reported without leaking it", func(t *testing.T) {
		c := cbsl(sd, "wrong-secret", "backups", "wrong")
		if err := sd.Client.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		got := waitPhase(t, sd, c, velerov1.BackupStorageLocationPhaseUnavailable)
		if !strings.Contains(got.Status.Message, "access denied (HTTP 403") {
			t.Fatalf("message = %q", got.Status.Message)
		}
	})
	t.Run("no secret in logs, status or events", func(t *testing.T) {
		var evs eventsv1.EventList
		var text strings.Builder
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := sd.Client.List(ctx, &evs, client.InNamespace(ns)); err != nil {
				t.Fatal(err)
			}
			if len(evs.Items) >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(evs.Items) == 0 {
			t.Fatal("the status loop recorded no events; the scan proves nothing")
		}
		for _, ev := range evs.Items {
			fmt.Fprintln(&text, ev.Reason, ev.Note)
		}
		var list kkpv1.ClusterBackupStorageLocationList
		if err := sd.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, c := range list.Items {
			fmt.Fprintln(&text, c.Status.Message)
		}
		assertNoSecret(t, logs.String()+text.String(), s.RootSecretKey, wrongSecret)
		if !strings.Contains(text.String(), "SignatureDoesNotMatch") {
			t.Fatalf("events and status lack the wrong-secret failure:\n%s", text.String())
		}
	})
}

func waitPhase(t *testing.T, sd *seedcluster.Seed, c *kkpv1.ClusterBackupStorageLocation, want velerov1.BackupStorageLocationPhase) *kkpv1.ClusterBackupStorageLocation {
	t.Helper()
	var got kkpv1.ClusterBackupStorageLocation
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := sd.Client.Get(context.Background(), client.ObjectKeyFromObject(c), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase == want {
			return &got
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("phase of %s stayed %q (%s), want %q", c.Name, got.Status.Phase, got.Status.Message, want)
	return nil
}
