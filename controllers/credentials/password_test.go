package credentials

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
)

// TestPasswordStoreChecksLabels: the seed's password copy is found by name,
// but used only when its cluster-id label names the cluster and its
// project-id label, if any, the cluster's project. A Secret that only takes
// the name (another project's, another cluster's, one without labels) is a
// configuration error naming the labels, never read as the password and
// never overwritten, also when the loop would store a new password.
func TestPasswordStoreChecksLabels(t *testing.T) {
	ctx := context.Background()
	const id, project = "xkc6lgmfsn", "jnpllgp66z"
	c := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: id, Labels: map[string]string{kkpv1.ProjectIDLabel: project}}}
	planted := []byte("a-password-someone-else-chose-000000000")
	for name, tc := range map[string]struct {
		labels map[string]string
		want   string // "" : the Secret is the cluster's
	}{
		"written by the loop":                  {map[string]string{ClusterIDLabel: id, kkpv1.ProjectIDLabel: project, ComponentLabel: ComponentRepoPassword}, ""},
		"restored by hand, no project label":   {map[string]string{ClusterIDLabel: id}, ""},
		"another project's Secret by the name": {map[string]string{kkpv1.ProjectIDLabel: "q4mh2x8vbn"}, "it has no label " + ClusterIDLabel},
		"no labels":                            {nil, "it has no label " + ClusterIDLabel},
		"another cluster's password":           {map[string]string{ClusterIDLabel: "m2vd8s5ptc", kkpv1.ProjectIDLabel: project}, `its label clusterbackup.io/cluster-id is "m2vd8s5ptc"`},
		"the cluster's ID, another project":    {map[string]string{ClusterIDLabel: id, kkpv1.ProjectIDLabel: "q4mh2x8vbn"}, `its label project-id is "q4mh2x8vbn", the cluster's project is "jnpllgp66z"`},
	} {
		t.Run(name, func(t *testing.T) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: DefaultPasswordSecretPrefix + id, Namespace: "kubermatic", Labels: tc.labels},
				Data: map[string][]byte{RepoKey: planted}}
			k := fake.NewClientBuilder().WithObjects(s).Build()
			p := &PasswordStore{Client: k, Reader: k, Namespace: "kubermatic", Prefix: DefaultPasswordSecretPrefix}
			got, err := p.Get(ctx, c)
			if tc.want == "" {
				if err != nil || !bytes.Equal(got, planted) {
					t.Fatalf("Get = %q, %v; want the stored password", got, err)
				}
				return
			}
			if err == nil || got != nil || !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "secret kubermatic/clusterbackup-repo-password-"+id+" is not the repository password of cluster "+id) {
				t.Fatalf("Get = %q, %v; want a configuration error containing %q", got, err, tc.want)
			}
			if strings.Contains(err.Error(), string(planted)) {
				t.Fatal("the error holds the Secret's data")
			}
			// Storing a new password neither replaces the Secret nor uses it.
			if got, err := p.Store(ctx, c, []byte("generated-by-the-loop-0000000000000000")); err == nil || got != nil {
				t.Fatalf("Store = %q, %v; want the same refusal", got, err)
			}
			var after corev1.Secret
			if err := k.Get(ctx, client.ObjectKeyFromObject(s), &after); err != nil || !bytes.Equal(after.Data[RepoKey], planted) || len(after.Labels) != len(tc.labels) {
				t.Fatalf("the Secret changed: %v, labels %v", err, after.Labels)
			}
		})
	}

	// No Secret yet: Store creates the labelled copy, which Get then uses.
	k := fake.NewClientBuilder().Build()
	p := &PasswordStore{Client: k, Reader: k, Namespace: "kubermatic", Prefix: DefaultPasswordSecretPrefix}
	if got, err := p.Get(ctx, c); got != nil || err != nil {
		t.Fatalf("Get without a Secret = %q, %v", got, err)
	}
	pw := []byte("generated-by-the-loop-0000000000000000")
	if got, err := p.Store(ctx, c, pw); err != nil || !bytes.Equal(got, pw) {
		t.Fatalf("Store = %q, %v", got, err)
	}
	if got, err := p.Get(ctx, c); err != nil || !bytes.Equal(got, pw) {
		t.Fatalf("Get after Store = %q, %v", got, err)
	}
}
