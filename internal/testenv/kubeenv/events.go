package kubeenv

import (
	"context"
	"fmt"
	"strings"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// WaitEvent waits up to 30 s for an Event (events.k8s.io/v1) with reason
// regarding the object of kind and name whose note holds every one of
// parts, and returns that note; it fails the test otherwise.
func WaitEvent(t testenv.TB, c client.Reader, kind, name, reason string, parts ...string) string {
	t.Helper()
	var note string
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("Event %s on %s %s with %q", reason, kind, name, parts), func() (bool, error) {
		var list eventsv1.EventList
		if err := c.List(context.Background(), &list); err != nil {
			return false, err
		}
		for _, ev := range list.Items {
			if ev.Regarding.Kind != kind || ev.Regarding.Name != name || ev.Reason != reason {
				continue
			}
			all := true
			for _, p := range parts {
				all = all && strings.Contains(ev.Note, p)
			}
			if all {
				note = ev.Note
				return true, nil
			}
		}
		return false, nil
	})
	return note
}
