package release

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"

	"github.com/clusterbackup/clusterbackup/internal/testenv/kubeenv"
)

// The package's integration tests share two control planes, started by the
// first test that needs them: the seed (Velero's and KKP's CRDs, namespace
// kubermatic) and ONE user cluster, started WITHOUT Velero's CRDs so the
// first apply really creates them and waits for Established. Every test
// uses its own cluster IDs and, in the user cluster, its own Velero
// namespace; only the CRDs are shared (identical in every render, never
// pruned).
type env struct {
	seed, user *kubeenv.ControlPlane
	// recorder records Events into the seed, as a manager's would.
	recorder events.EventRecorder
	// veleroCRDsAtStart counts velero.io CRDs the user cluster had before any
	// test ran (want 0).
	veleroCRDsAtStart int
}

var (
	envOnce   sync.Once
	sharedEnv *env
	envErr    error
	stopEnv   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, stop := range stopEnv {
		stop()
	}
	os.Exit(code)
}

// testEnv returns the shared control planes; a missing tool fails t.
func testEnv(t *testing.T) *env {
	t.Helper()
	envOnce.Do(func() { sharedEnv, envErr = startEnv() })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return sharedEnv
}

func startEnv() (*env, error) {
	ctx := context.Background()
	seed, err := kubeenv.New(kubeenv.Options{})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	stopEnv = append(stopEnv, func() { _ = seed.Stop() })
	user, err := kubeenv.New(kubeenv.Options{CRDDirs: []string{}})
	if err != nil {
		return nil, fmt.Errorf("user cluster: %w", err)
	}
	stopEnv = append(stopEnv, func() { _ = user.Stop() })
	if err := seed.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: DefaultStateNamespace}}); err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(seed.Config)
	if err != nil {
		return nil, err
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	stop := make(chan struct{})
	b.StartRecordingToSink(stop)
	stopEnv = append([]func(){func() { close(stop); b.Shutdown() }}, stopEnv...)
	e := &env{seed: seed, user: user, recorder: b.NewRecorder(seed.Env.Scheme, "clusterbackup-release")}
	var crds unstructured.UnstructuredList
	crds.SetGroupVersionKind(crdGVK.GroupVersion().WithKind("CustomResourceDefinitionList"))
	if err := user.Client.List(ctx, &crds); err != nil {
		return nil, err
	}
	for _, c := range crds.Items {
		if g, _, _ := unstructured.NestedString(c.Object, "spec", "group"); g == "velero.io" {
			e.veleroCRDsAtStart++
		}
	}
	return e, nil
}
