package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/fixtures"
)

// TestDrainOnStop: after a stop signal the server keeps answering for the
// drain period, closes each connection after its answer and reports not
// ready; reviews the API server sends meanwhile all succeed; then it stops.
func TestDrainOnStop(t *testing.T) {
	const drain = 2 * time.Second
	e := startEnvWith(t, envOptions{drain: drain})
	ctx := context.Background()
	user := e.clients[alice]
	managed := fixtures.BSL("default", "backups", "", "")
	managed.Spec.Config = nil
	testenv.Must(t, e.clients[applier].Create(ctx, managed))

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.k.Env.WebhookInstallOptions.LocalServingCAData)
	direct := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	// review sends one review directly and reports whether the server asked
	// to close the connection after it.
	review := func() (closed bool) {
		t.Helper()
		obj, err := json.Marshal(&velerov1.Backup{TypeMeta: metav1.TypeMeta{APIVersion: "velero.io/v1", Kind: "Backup"},
			ObjectMeta: metav1.ObjectMeta{Name: "direct", Namespace: "velero"}})
		testenv.Must(t, err)
		body, err := json.Marshal(&admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{UID: types.UID("u1"), Operation: admissionv1.Create,
				Kind:     metav1.GroupVersionKind{Group: "velero.io", Version: "v1", Kind: "Backup"},
				Resource: metav1.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "backups"},
				Name:     "direct", Namespace: "velero", Object: runtime.RawExtension{Raw: obj}},
		})
		testenv.Must(t, err)
		resp, err := direct.Post("https://"+e.webhookAddr+"/validate-velero-io-v1-backup", "application/json", bytes.NewReader(body))
		testenv.Must(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("direct review: HTTP %d", resp.StatusCode)
		}
		return resp.Close
	}
	if review() {
		t.Fatal("before the stop signal the server closed a keep-alive connection")
	}

	// A burst through the API server, running across the stop signal.
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	burst, stopBurst := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; burst.Err() == nil; i++ {
				b := &velerov1.Backup{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("drain-%d-%d", c, i), Namespace: "velero"},
					Spec: velerov1.BackupSpec{IncludedNamespaces: []string{"app"}}}
				sent.Add(1)
				if err := user.Create(ctx, b, &clientDryRun); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("at %s: %w", time.Now().Format(time.StampMicro), err))
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)

	stopped := make(chan error, 1)
	stopAt := time.Now()
	go func() { stopped <- e.stop() }()
	time.Sleep(300 * time.Millisecond)
	if !review() {
		t.Error("while draining, an answer did not close its connection (want Connection: close)")
	}
	if resp, err := http.Get(e.probeURL + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("while draining, /readyz answered 200; want a failure so the Pod leaves the Service")
		}
	}
	time.Sleep(drain - 1100*time.Millisecond)
	stopBurst()
	wg.Wait()
	t.Logf("stop signal at %s", stopAt.Format(time.StampMicro))
	t.Logf("FIGURE %d dry-run Backup creates across a stop signal with a %v drain, %d failed", sent.Load(), drain, failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d reviews failed during the drain, e.g. %v", failed.Load(), sent.Load(), firstErr.Load())
	}
	if sent.Load() == 0 {
		t.Fatal("the burst sent nothing")
	}

	if err := <-stopped; err != nil {
		t.Fatalf("manager stopped with %v", err)
	}
	if d := time.Since(stopAt); d < drain {
		t.Errorf("the server stopped %v after the signal, before the %v drain ended", d, drain)
	}
	if resp, err := direct.Post("https://"+e.webhookAddr+"/validate-velero-io-v1-backup", "application/json", nil); err == nil {
		resp.Body.Close()
		t.Error("after the drain the webhook server still answers")
	}
}
