package s3policy

import (
	"strings"
	"testing"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func cluster(name, project, cbsl string) *kkpv1.Cluster {
	c := &kkpv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if project != "" {
		c.Labels[kkpv1.ProjectIDLabel] = project
	}
	if cbsl != "" {
		c.Spec.BackupConfig = &kkpv1.BackupConfig{BackupStorageLocation: &corev1.LocalObjectReference{Name: cbsl}}
	}
	return c
}

func location(name, project, bucket, prefix string) *kkpv1.ClusterBackupStorageLocation {
	l := &kkpv1.ClusterBackupStorageLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kubermatic", Labels: map[string]string{}},
		Spec: velerov1.BackupStorageLocationSpec{
			Provider:    "aws",
			StorageType: velerov1.StorageType{ObjectStorage: &velerov1.ObjectStorageLocation{Bucket: bucket, Prefix: prefix}},
		},
	}
	if project != "" {
		l.Labels[kkpv1.ProjectIDLabel] = project
	}
	return l
}

func TestTargetFor(t *testing.T) {
	labelPath := field.NewPath("metadata", "labels").Key("project-id")
	refPath := field.NewPath("spec", "backupConfig", "backupStorageLocation", "name")
	prefixPath := field.NewPath("spec", "objectStorage", "prefix")
	bucketPath := field.NewPath("spec", "objectStorage", "bucket")
	tests := map[string]struct {
		c          *kkpv1.Cluster
		l          *kkpv1.ClusterBackupStorageLocation
		mutate     func(*kkpv1.ClusterBackupStorageLocation)
		want       Target
		clusterErr field.ErrorList
		locErr     field.ErrorList
	}{
		"with cbsl prefix": {
			c:    cluster("c1", "p1", "loc"),
			l:    location("loc", "p1", "bkt", "seed-eu/"),
			want: Target{Bucket: "bkt", Prefix: "seed-eu/p1/c1", ProjectID: "p1", ClusterID: "c1"},
		},
		"at bucket root": {
			c:    cluster("c1", "p1", "loc"),
			l:    location("loc", "p1", "bkt", ""),
			want: Target{Bucket: "bkt", Prefix: "p1/c1", ProjectID: "p1", ClusterID: "c1"},
		},
		"other project's location": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p2", "bkt", ""),
			locErr: field.ErrorList{field.Invalid(labelPath, "p2", "")},
		},
		"location without project": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "", "bkt", ""),
			locErr: field.ErrorList{field.Required(labelPath, "")},
		},
		"cluster names another location": {
			c:          cluster("c1", "p1", "other"),
			l:          location("loc", "p1", "bkt", ""),
			clusterErr: field.ErrorList{field.Invalid(refPath, "other", "")},
		},
		"cluster without backup config": {
			c:          cluster("c1", "p1", ""),
			l:          location("loc", "p1", "bkt", ""),
			clusterErr: field.ErrorList{field.Required(refPath, "")},
		},
		"cluster without project": {
			c:          cluster("c1", "", "loc"),
			l:          location("loc", "p1", "bkt", ""),
			clusterErr: field.ErrorList{field.Required(labelPath, "")},
			locErr:     field.ErrorList{field.Invalid(labelPath, "p1", "")},
		},
		"wildcard in prefix": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p1", "bkt", "a*"),
			locErr: field.ErrorList{field.Invalid(prefixPath, "a*", "")},
		},
		"dot-dot prefix": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p1", "bkt", "a/../b"),
			locErr: field.ErrorList{field.Invalid(prefixPath, "a/../b", "")},
		},
		"slash in bucket": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p1", "bkt/x", ""),
			locErr: field.ErrorList{field.Invalid(bucketPath, "bkt/x", "")},
		},
		"no object storage": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p1", "bkt", ""),
			mutate: func(l *kkpv1.ClusterBackupStorageLocation) { l.Spec.ObjectStorage = nil },
			locErr: field.ErrorList{field.Required(field.NewPath("spec", "objectStorage"), "")},
		},
		"other provider": {
			c:      cluster("c1", "p1", "loc"),
			l:      location("loc", "p1", "bkt", ""),
			mutate: func(l *kkpv1.ClusterBackupStorageLocation) { l.Spec.Provider = "gcp" },
			locErr: field.ErrorList{field.NotSupported(field.NewPath("spec", "provider"), "gcp", []string{"aws", "velero.io/aws"})},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.mutate != nil {
				tc.mutate(tc.l)
			}
			assertErrs(t, ValidateCluster(tc.c, tc.l), tc.clusterErr)
			assertErrs(t, append(ValidateLocation(tc.l, tc.c), ValidatePolicyPrefix(tc.l)...), tc.locErr)
			got, err := TargetFor(tc.c, tc.l)
			if len(tc.clusterErr)+len(tc.locErr) > 0 {
				if err == nil {
					t.Fatalf("TargetFor: want an error, got %+v", got)
				}
				wantObj := "ClusterBackupStorageLocation kubermatic/loc"
				if len(tc.clusterErr) > 0 {
					wantObj = `cluster "c1"`
				}
				if !strings.HasPrefix(err.Error(), wantObj) {
					t.Fatalf("error %q does not name %s", err, wantObj)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("TargetFor = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// assertErrs compares type, field and value, ignoring the detail text.
func assertErrs(t *testing.T, got, want field.ErrorList) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("errors = %v; want %d errors %v", got, len(want), want)
	}
	for i := range got {
		if got[i].Type != want[i].Type || got[i].Field != want[i].Field || (want[i].BadValue != "" && got[i].BadValue != want[i].BadValue) {
			t.Errorf("error %d = %v; want %v", i, got[i], want[i])
		}
	}
}

func TestValidatePrincipal(t *testing.T) {
	p := field.NewPath("principal")
	tests := map[string]struct {
		in   string
		want field.ErrorType
	}{
		"access key":  {in: "AKIAIOSFODNN7EXAMPLE"},
		"user arn":    {in: "arn:aws:iam::123456789012:user/backup-c1"},
		"empty":       {in: "", want: field.ErrorTypeRequired},
		"wildcard":    {in: "*", want: field.ErrorTypeInvalid},
		"arn pattern": {in: "arn:aws:iam::123456789012:user/*", want: field.ErrorTypeInvalid},
		"space":       {in: "AK IA", want: field.ErrorTypeInvalid},
		"quote":       {in: `AK"IA`, want: field.ErrorTypeInvalid},
		"too long":    {in: strings.Repeat("a", 2049), want: field.ErrorTypeTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := ValidatePrincipal(tc.in, p)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("unexpected errors %v", errs)
			case tc.want != "" && (len(errs) != 1 || errs[0].Type != tc.want || errs[0].Field != "principal"):
				t.Fatalf("errors = %v; want one %s", errs, tc.want)
			}
		})
	}
}

// Locate serves downloads, where '*' in a prefix is just a character; only a
// policy refuses it.
func TestLocateAcceptsWhatOnlyPoliciesRefuse(t *testing.T) {
	c, l := cluster("c1", "p1", "loc"), location("loc", "p1", "bkt", "team*")
	got, err := Locate(c, l)
	if err != nil || got.Prefix != "team*/p1/c1" {
		t.Fatalf("Locate = %+v, %v", got, err)
	}
	if _, err := TargetFor(c, l); err == nil || !strings.Contains(err.Error(), "spec.objectStorage.prefix") {
		t.Fatalf("TargetFor: %v", err)
	}
}
