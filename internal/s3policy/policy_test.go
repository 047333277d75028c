package s3policy

import (
	"bytes"
	"strings"
	"testing"
)

const wantBucketPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Clusterc1ListPrefix",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "AKIDC1"
        ]
      },
      "Action": [
        "s3:ListBucket"
      ],
      "Resource": [
        "arn:aws:s3:::bkt"
      ],
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "seed/p1/c1/",
            "seed/p1/c1/*"
          ]
        }
      }
    },
    {
      "Sid": "Clusterc1BucketLocation",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "AKIDC1"
        ]
      },
      "Action": [
        "s3:GetBucketLocation"
      ],
      "Resource": [
        "arn:aws:s3:::bkt"
      ]
    },
    {
      "Sid": "Clusterc1Objects",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "AKIDC1"
        ]
      },
      "Action": [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject"
      ],
      "Resource": [
        "arn:aws:s3:::bkt/seed/p1/c1/*"
      ]
    }
  ]
}
`

func target(project, clusterID string) Target {
	return Target{Bucket: "bkt", Prefix: "seed/" + project + "/" + clusterID, ProjectID: project, ClusterID: clusterID}
}

func TestBucketPolicyGolden(t *testing.T) {
	doc, err := BucketPolicy(Grant{Target: target("p1", "c1"), Principal: "AKIDC1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantBucketPolicy {
		t.Fatalf("bucket policy:\n%s\nwant:\n%s", got, wantBucketPolicy)
	}
}

func TestIdentityPolicyHasNoPrincipal(t *testing.T) {
	doc, err := IdentityPolicy(target("p1", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	// The identity policy is the bucket policy without the Principal elements.
	want := strings.ReplaceAll(wantBucketPolicy, "      \"Principal\": {\n        \"AWS\": [\n          \"AKIDC1\"\n        ]\n      },\n", "")
	if string(got) != want {
		t.Fatalf("identity policy:\n%s\nwant:\n%s", got, want)
	}
}

func TestFleetBucketPolicyIsOrderIndependent(t *testing.T) {
	a := Grant{Target: target("p1", "c1"), Principal: "AKIDC1"}
	b := Grant{Target: target("p2", "c2"), Principal: "arn:aws:iam::123456789012:user/c2"}
	c := Grant{Target: target("p1", "c3"), Principal: "AKIDC3"}
	d1, err := BucketPolicy(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := BucketPolicy(c, b, a)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := d1.JSON()
	j2, _ := d2.JSON()
	if !bytes.Equal(j1, j2) {
		t.Fatalf("output depends on input order:\n%s\n---\n%s", j1, j2)
	}
	var sids []string
	for _, s := range d1.Statement {
		sids = append(sids, s.Sid)
	}
	want := "Clusterc1ListPrefix Clusterc1BucketLocation Clusterc1Objects Clusterc3ListPrefix Clusterc3BucketLocation Clusterc3Objects Clusterc2ListPrefix Clusterc2BucketLocation Clusterc2Objects"
	if got := strings.Join(sids, " "); got != want {
		t.Fatalf("sids = %s; want %s", got, want)
	}
	for _, s := range d1.Statement {
		if strings.HasPrefix(s.Sid, "Clusterc2") && s.Principal.AWS[0] != b.Principal {
			t.Fatalf("statement %s has principal %v", s.Sid, s.Principal.AWS)
		}
	}
}

func TestBucketPolicyErrors(t *testing.T) {
	tests := map[string]struct {
		grants []Grant
		want   string
	}{
		"none": {want: "no clusters"},
		"two buckets": {
			grants: []Grant{{Target: target("p1", "c1"), Principal: "A"}, {Target: Target{Bucket: "other", Prefix: "p2/c2", ProjectID: "p2", ClusterID: "c2"}, Principal: "B"}},
			want:   "a bucket policy covers one bucket",
		},
		"same cluster twice": {
			grants: []Grant{{Target: target("p1", "c1"), Principal: "A"}, {Target: target("p1", "c1"), Principal: "B"}},
			want:   "overlapping prefixes",
		},
		"sid collision": {
			grants: []Grant{{Target: target("p1", "a-b"), Principal: "A"}, {Target: target("p1", "ab"), Principal: "B"}},
			want:   "same statement ID",
		},
		"wildcard principal": {
			grants: []Grant{{Target: target("p1", "c1"), Principal: "*"}},
			want:   "must not contain wildcards",
		},
		"missing principal": {
			grants: []Grant{{Target: target("p1", "c1")}},
			want:   "principal: Required",
		},
		"hand-made target": {
			grants: []Grant{{Target: Target{Bucket: "bkt"}, Principal: "A"}},
			want:   "build it with storage.TargetFor",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := BucketPolicy(tc.grants...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestSidBase(t *testing.T) {
	for in, want := range map[string]string{"xkc6lgmfsn": "Clusterxkc6lgmfsn", "a-b": "Clusterab", "ü1": "Cluster1"} {
		if got := SidBase(in); got != want {
			t.Errorf("SidBase(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestSizeIsCompact(t *testing.T) {
	doc, err := BucketPolicy(Grant{Target: target("p1", "c1"), Principal: "AKIDC1"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := doc.Size()
	compact := strings.Join(strings.Fields(wantBucketPolicy), "")
	if err != nil || n != len(compact) {
		t.Fatalf("Size = %d, %v; want %d", n, err, len(compact))
	}
}

// TestAllowBucketLevelReads: the trade-off option replaces only the list
// statement, by an unconditioned s3:ListBucket; the default stays the
// prefix-confined golden policy.
func TestAllowBucketLevelReads(t *testing.T) {
	o := Options{AllowBucketLevelReads: true}
	doc, err := o.BucketPolicy(Grant{Target: target("p1", "c1"), Principal: "AKIDC1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	cond := ",\n      \"Condition\": {\n        \"StringLike\": {\n          \"s3:prefix\": [\n            \"seed/p1/c1/\",\n            \"seed/p1/c1/*\"\n          ]\n        }\n      }"
	if !strings.Contains(wantBucketPolicy, cond) {
		t.Fatal("the golden policy changed shape; update this test")
	}
	want := strings.Replace(strings.Replace(wantBucketPolicy, cond, "", 1), "Clusterc1ListPrefix", "Clusterc1ListBucket", 1)
	if string(got) != want {
		t.Fatalf("bucket policy with bucket-level reads:\n%s\nwant:\n%s", got, want)
	}
	id, err := o.IdentityPolicy(target("p1", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if s := id.Statement[0]; s.Sid != "Clusterc1ListBucket" || s.Condition != nil || s.Principal != nil || s.Action[0] != "s3:ListBucket" || s.Resource[0] != "arn:aws:s3:::bkt" {
		t.Fatalf("identity policy list statement: %+v", s)
	}
	def, err := BucketPolicy(Grant{Target: target("p1", "c1"), Principal: "AKIDC1"})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := def.JSON(); string(b) != wantBucketPolicy {
		t.Fatal("the default policy changed")
	}
}
