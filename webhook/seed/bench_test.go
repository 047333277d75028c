package seed

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
)

// BenchmarkCBSLValidateCached measures one CBSL CREATE review through the
// validating handler when the reachability result is cached: decode, pure
// validation, the credential Secret (read from a real kube-apiserver with
// the default uncached reader, or from an informer cache as with
// Options.CachedSecrets) and the cached check.
func BenchmarkCBSLValidateCached(b *testing.B) {
	ctx := context.Background()
	k := kubeenv.Start(b, kubeenv.Options{})
	s := s3env.Start(b)
	if err := s.CreateBucket(ctx, "backups"); err != nil {
		b.Fatal(err)
	}
	if err := k.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubermatic"}}); err != nil {
		b.Fatal(err)
	}
	e := &seedEnv{k: k, s3: s, c: k.Client, ns: "kubermatic"}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "good", Namespace: e.ns, Labels: map[string]string{kkpv1.ProjectIDLabel: "p1"}},
		Data: map[string][]byte{kkpv1.CredentialAccessKeyID: []byte(s.RootAccessKey), kkpv1.CredentialSecretAccessKey: []byte(s.RootSecretKey)}}
	if err := k.Client.Create(ctx, sec); err != nil {
		b.Fatal(err)
	}
	c := e.cbsl("bench", s.Endpoint, "backups", "good")
	storage.DefaultCBSL(c)
	raw, err := json.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	o, err := Options{Check: allowLoopback()}.complete()
	if err != nil {
		b.Fatal(err)
	}
	informer, err := cache.New(k.Config, cache.Options{Scheme: kubeenv.Scheme(), DefaultNamespaces: map[string]cache.Config{e.ns: {}}})
	if err != nil {
		b.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = informer.Start(cctx) }()
	if _, err := informer.GetInformer(ctx, &corev1.Secret{}); err != nil {
		b.Fatal(err)
	}
	informer.WaitForCacheSync(ctx)
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "bench", Kind: cbslKind,
		Operation: admissionv1.Create, Name: "bench", Namespace: e.ns, Object: runtime.RawExtension{Raw: raw}}}
	for _, tc := range []struct {
		name    string
		secrets storage.SecretGetter
	}{{"api-reader", storage.ReaderSecrets(k.Client)}, {"informer-cache", storage.ReaderSecrets(informer)}} {
		b.Run(tc.name, func(b *testing.B) {
			v := &CBSLValidator{Reader: k.Client, Secrets: tc.secrets, Checker: s3check.New(o.Check), Options: o}
			if r := handle(b, v, req); !r.Allowed {
				b.Fatalf("warm-up denied: %v", r.Result)
			}
			d := make([]time.Duration, 0, 1<<14)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				r := handle(b, v, req)
				d = append(d, time.Since(start))
				if !r.Allowed {
					b.Fatal("denied")
				}
			}
			b.StopTimer()
			if st := v.Checker.Stats(); st.Checks != 1 {
				b.Fatalf("%d S3 checks, want 1 (the warm-up)", st.Checks)
			}
			reportLatency(b, d)
		})
	}
}

// reportLatency adds p50/p99/max of the per-operation durations.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(d[(len(d)-1)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(d[len(d)-1].Nanoseconds()), "max-ns")
}
