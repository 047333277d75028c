package credentials

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// requestLog records the requests of a client, discovery left out.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if p := r.URL.Path; p != "/api" && p != "/apis" && !strings.HasPrefix(p, "/apis/") || strings.Count(p, "/") > 3 {
			l.mu.Lock()
			l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
			l.mu.Unlock()
		}
		return next.RoundTrip(r)
	})
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// deliver runs the user-cluster part of a reconcile: one LIST, the
// credentials, the repository password.
func deliver(t *testing.T, c client.Client, file, pw []byte) (Outcome, Outcome) {
	t.Helper()
	ctx := context.Background()
	known, err := listManaged(ctx, c, DefaultVeleroNamespace)
	testenv.Must(t, err)
	creds, err := writeCredentials(ctx, c, known, DefaultVeleroNamespace, DefaultCredentialsSecret, DefaultCredentialsKey, "kubermatic/cbsl", file)
	testenv.Must(t, err)
	repo, err := readRepo(ctx, c, known, DefaultVeleroNamespace)
	testenv.Must(t, err)
	out, err := writeRepoPassword(ctx, c, DefaultVeleroNamespace, repo, pw)
	testenv.Must(t, err)
	return creds, out
}

// TestUserClusterRequests: against a real API server, the first delivery
// creates the missing Velero namespace and both Secrets; a steady-state
// delivery is one LIST and writes nothing (no namespace create answered
// AlreadyExists); Velero's start-up default password is still found
// without our labels (GET) and BackupRepositories are listed only then.
func TestUserClusterRequests(t *testing.T) {
	k := kubeenv.Start(t, kubeenv.Options{})
	log := &requestLog{}
	cfg := rest.CopyConfig(k.Config)
	cfg.WrapTransport = log.RoundTrip
	c, err := client.New(cfg, client.Options{Scheme: kubeenv.Scheme()})
	testenv.Must(t, err)
	file, pw := []byte("[default]\naws_access_key_id=a\n"), []byte("seed-password")
	ns := DefaultVeleroNamespace

	check := func(step string, gotC, gotP, wantC, wantP Outcome, want ...string) {
		t.Helper()
		if gotC != wantC || gotP != wantP {
			t.Errorf("%s: outcomes %s, %s; want %s, %s", step, gotC, gotP, wantC, wantP)
		}
		if got := log.take(); !slices.Equal(got, want) {
			t.Errorf("%s: requests\n %s\nwant\n %s", step, strings.Join(got, "\n "), strings.Join(want, "\n "))
		}
	}
	secrets := "/api/v1/namespaces/" + ns + "/secrets"
	c1, p1 := deliver(t, c, file, pw)
	check("first delivery, no namespace", c1, p1, Created, Created,
		"GET "+secrets, "GET "+secrets+"/"+DefaultCredentialsSecret, "POST "+secrets, "POST /api/v1/namespaces", "POST "+secrets,
		"GET "+secrets+"/"+RepoSecret, "POST "+secrets)
	c2, p2 := deliver(t, c, file, pw)
	check("steady state", c2, p2, Unchanged, Unchanged, "GET "+secrets)

	// Velero started first and wrote its default, unlabelled.
	testenv.Must(t, c.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: RepoSecret}}))
	testenv.Must(t, c.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: RepoSecret}, Data: map[string][]byte{RepoKey: []byte(veleroDefaultPw)}}))
	log.take()
	c3, p3 := deliver(t, c, file, pw)
	check("velero's default", c3, p3, Unchanged, Updated,
		"GET "+secrets, "GET "+secrets+"/"+RepoSecret, "GET /apis/velero.io/v1/namespaces/"+ns+"/backuprepositories", "PUT "+secrets+"/"+RepoSecret)
	c4, p4 := deliver(t, c, file, pw)
	check("steady state again", c4, p4, Unchanged, Unchanged, "GET "+secrets)
}
