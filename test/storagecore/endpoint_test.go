package storagecore

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterbackup/clusterbackup/internal/storage"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/s3env"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
)

// TestEndpointRespellingsOnVersitygw: the endpoint respellings of issue #29
// against a real S3 server (versitygw). Each reaches the server that holds
// the managed bucket, and the server accepts the managed key's signature on
// it — that is the attack. Every spelling storage.SameEndpoint calls
// different from the managed endpoint must then either not reach that
// server with the managed key, or be a name only DNS could resolve
// (localhost for 127.0.0.1), which the managed-credential rule covers: a
// BSL there may not sign with the managed key (named or by default), and
// the key of its own cannot read the managed bucket. Spellings
// SameEndpoint calls the same make a BSL on the managed bucket "the
// managed storage", denied. (internal/storage FuzzSameEndpoint checks
// SameEndpoint against a canonical parse; internal/admissionpolicy shows
// the CEL policies deciding the same.)
func TestEndpointRespellingsOnVersitygw(t *testing.T) {
	ctx := context.Background()
	managedS3, otherS3 := s3env.Start(t), s3env.Start(t)
	const bucket, marker = "managed", "marker"
	for _, s := range []*s3env.Server{managedS3, otherS3} {
		testenv.Must(t, s.CreateBucket(ctx, bucket))
		_, err := s.Client(s.RootAccessKey, s.RootSecretKey).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(marker), Body: strings.NewReader(s.Endpoint)})
		testenv.Must(t, err)
	}
	const tenantAK, tenantSK = "tenantkey", "tenant-secret-key-0123456789"
	testenv.Must(t, managedS3.CreateUser(tenantAK, tenantSK))

	managed := managedS3.Endpoint // http://127.0.0.1:PORT
	_, port, err := net.SplitHostPort(strings.TrimPrefix(managed, "http://"))
	testenv.Must(t, err)
	// readMarker reads the marker with a key through endpoint; it returns
	// the endpoint of the server that answered.
	readMarker := func(endpoint, ak, sk string) (string, error) {
		c := s3.New(s3.Options{
			Region: s3env.Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
			Credentials:      credentials.NewStaticCredentialsProvider(ak, sk, ""),
			HTTPClient:       &http.Client{Timeout: 10 * time.Second},
			RetryMaxAttempts: 1,
		})
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(marker)})
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), err
	}

	cfg := &velerorules.Config{Managed: velerorules.Location{Bucket: bucket, Endpoint: managed, Prefix: "kkp/p1/c1"}, AllowOtherStorage: true}
	testenv.Must(t, cfg.Complete())
	bslAt := func(endpoint string, cred *corev1.SecretKeySelector) *velerov1.BackupStorageLocation {
		return &velerov1.BackupStorageLocation{
			ObjectMeta: metav1.ObjectMeta{Name: "respelled", Namespace: cfg.Namespace},
			Spec: velerov1.BackupStorageLocationSpec{Provider: "aws", Credential: cred,
				StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: "kkp/p1/c2"}},
				Config:      map[string]string{"region": s3env.Region, "s3Url": endpoint, "s3ForcePathStyle": "true"}},
		}
	}
	secret := func(name string) *corev1.SecretKeySelector {
		return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "cloud"}
	}
	// admit returns the webhook's denial of b, "" when it admits it.
	admit := func(b *velerov1.BackupStorageLocation) string {
		errs, _ := velerorules.ValidateBSL(ctx, cfg, &velerorules.Objects{}, velerorules.User{Name: "tenant"}, b, nil)
		if len(errs) == 0 {
			return ""
		}
		return errs.ToAggregate().Error()
	}

	for _, tc := range []struct {
		name, endpoint string
		// sameSpelling: storage.SameEndpoint calls it the managed endpoint.
		sameSpelling bool
		// reaches: the managed key reads the managed bucket through it.
		reaches bool
	}{
		{"as configured", managed, true, true},
		{"leading-zero port", "http://127.0.0.1:0" + port, true, true},
		{"IPv4-mapped literal", "http://[::ffff:127.0.0.1]:" + port, true, true},
		{"IPv4-mapped, expanded hex, zeros before the port", "http://[0000:0:0:0:0:FFFF:7f00:0001]:000" + port + "/", true, true},
		{"localhost, a name of the same server", "http://localhost:" + port, false, true},
		{"another server", otherS3.Endpoint, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answeredBy, err := readMarker(tc.endpoint, managedS3.RootAccessKey, managedS3.RootSecretKey)
			if reaches := err == nil && answeredBy == managed; reaches != tc.reaches {
				t.Fatalf("%s with the managed key: reaches the managed bucket %v (%v), want %v", tc.endpoint, reaches, err, tc.reaches)
			}
			if same := storage.SameEndpoint(managed, tc.endpoint); same != tc.sameSpelling {
				t.Fatalf("storage.SameEndpoint(%q, %q) = %v, want %v", managed, tc.endpoint, same, tc.sameSpelling)
			}
			switch {
			case tc.sameSpelling:
				// On the managed bucket, whatever the credential: the
				// managed storage, one location per cluster.
				if msg := admit(bslAt(tc.endpoint, secret("own-keys"))); !strings.Contains(msg, "is this cluster's managed storage") {
					t.Fatalf("a BSL on the managed bucket at %s: %q, want the managed-storage denial", tc.endpoint, msg)
				}
			case tc.reaches:
				// Different by spelling, the same server: the credential
				// rule keeps the managed key out of it, named or by default.
				for _, cred := range []*corev1.SecretKeySelector{nil, secret(velerorules.DefaultCredentialsSecret)} {
					if msg := admit(bslAt(tc.endpoint, cred)); !strings.Contains(msg, "may use the managed credential") {
						t.Fatalf("a BSL at %s with credential %v: %q, want the managed-credential denial", tc.endpoint, cred, msg)
					}
				}
				// Keys of its own are admitted (other storage is allowed)
				// and do not open the managed bucket.
				if msg := admit(bslAt(tc.endpoint, secret("own-keys"))); msg != "" {
					t.Fatalf("a BSL at %s with keys of its own: %s, want it admitted", tc.endpoint, msg)
				}
				got, err := readMarker(tc.endpoint, tenantAK, tenantSK)
				if err == nil {
					t.Fatalf("the tenant's own key read the managed bucket through %s: %q", tc.endpoint, got)
				}
				t.Logf("own key through %s: %v", tc.endpoint, err)
			default:
				// Different by spelling, and another server indeed.
				if got, err := readMarker(tc.endpoint, otherS3.RootAccessKey, otherS3.RootSecretKey); err != nil || got != tc.endpoint {
					t.Fatalf("%s is not the other server: %q, %v", tc.endpoint, got, err)
				}
			}
		})
	}
}
