//go:build !webhookonly

package main

// clusterbackup check: the seed webhook's CBSL validation and S3 reachability
// check, run from a laptop or CI against files.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// checkFileList collects repeated -f flags.
type checkFileList []string

// String implements flag.Value.
func (l *checkFileList) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value.
func (l *checkFileList) Set(v string) error { *l = append(*l, v); return nil }

// runCheck validates every CBSL in the files exactly as the seed webhook
// does (defaults, field rules, credential Secret) and checks its S3 endpoint
// with its own credentials. Exit 0 when all are usable, 1 otherwise.
func runCheck(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "check")
	var (
		files checkFileList
		opts  s3check.Options
		probe bool
	)
	fs.Var(&files, "f", "YAML file with ClusterBackupStorageLocations and their credential Secrets (repeatable, '-' for stdin)")
	fs.DurationVar(&opts.Budget, "budget", s3check.DefaultBudget, "time limit of one S3 check, retries included")
	fs.Var(&opts.Policy.Allow, "allow-cidr", "CIDR or address the check may dial although the built-in rules deny it (e.g. 127.0.0.1 for a local S3); repeatable")
	fs.Var(&opts.Policy.Deny, "deny-cidr", "CIDR the check must never dial; repeatable")
	fs.BoolVar(&probe, "probe-isolation", false, "also warn when the credential can list the bucket root or a sibling prefix")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup check -f cbsl.yaml -f secret.yaml [flags]\n\nValidates ClusterBackupStorageLocations like the seed webhook and checks their S3 endpoints.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(files) == 0 || fs.NArg() > 0 {
		return fmt.Errorf("%w: give the input files with -f (and no positional arguments)", errUsage)
	}
	locs, secrets, err := loadCheckInputs(s, files)
	if err != nil {
		return err
	}
	opts.CacheTTL, opts.FailureTTL = -1, -1
	checker := s3check.New(opts)
	failed := 0
	for _, c := range locs {
		if !checkOne(ctx, s.Out, c, secrets, checker, probe) {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d storage location(s) failed", failed, len(locs))
	}
	return nil
}

// checkOne prints the verdict on one CBSL and reports whether it is usable.
func checkOne(ctx context.Context, w io.Writer, c *kkpv1.ClusterBackupStorageLocation, secrets map[string]*corev1.Secret, checker *s3check.Checker, probe bool) bool {
	seed.DefaultCBSL(c)
	get := func(_ context.Context, ns, name string) (*corev1.Secret, error) { return secrets[ns+"/"+name], nil }
	ev, err := seed.Evaluate(ctx, c, get, checker, probe)
	fmt.Fprintf(w, "clusterbackupstoragelocation %s/%s\n", c.Namespace, c.Name)
	if err != nil {
		fmt.Fprintf(w, "  error:        %v\n", err)
		return false
	}
	if len(ev.Errors) > 0 {
		fmt.Fprintf(w, "  validation:   %d error(s)\n", len(ev.Errors))
		for _, e := range ev.Errors {
			fmt.Fprintf(w, "    - %s\n", e.Error())
		}
	} else {
		fmt.Fprintln(w, "  validation:   ok")
	}
	for _, warn := range ev.Warnings {
		fmt.Fprintf(w, "  warning:      %s\n", warn)
	}
	if ev.Check == nil {
		fmt.Fprintln(w, "  reachability: not checked (fix the validation errors first)")
		return false
	}
	r := ev.Check
	if r.OK() {
		fmt.Fprintf(w, "  reachability: OK in %s: %s\n", r.Duration.Round(time.Millisecond), r.Message)
		return len(ev.Errors) == 0
	}
	fmt.Fprintf(w, "  reachability: FAILED (%s) after %s: %s\n", r.Class, r.Duration.Round(time.Millisecond), r.Message)
	return false
}

// loadCheckInputs reads the CBSLs and Secrets of the files. Secrets are keyed
// by namespace/name; a CBSL or Secret without a namespace is in "kubermatic",
// like KKP's.
func loadCheckInputs(s streams, files []string) ([]*kkpv1.ClusterBackupStorageLocation, map[string]*corev1.Secret, error) {
	var (
		locs    []*kkpv1.ClusterBackupStorageLocation
		secrets = map[string]*corev1.Secret{}
	)
	for _, f := range files {
		data, err := readCheckFile(s, f)
		if err != nil {
			return nil, nil, err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 1; ; i++ {
			raw, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(raw, &tm); err != nil {
				return nil, nil, fmt.Errorf("%s (document %d): %w", f, i, err)
			}
			switch tm.Kind {
			case "":
				continue // an empty document
			case kkpv1.KindClusterBackupStorageLocation:
				var c kkpv1.ClusterBackupStorageLocation
				if err := yaml.UnmarshalStrict(raw, &c); err != nil {
					return nil, nil, fmt.Errorf("%s (document %d): %w", f, i, err)
				}
				c.Namespace = checkNamespace(c.Namespace)
				locs = append(locs, &c)
			case "Secret":
				var sec corev1.Secret
				if err := yaml.Unmarshal(raw, &sec); err != nil {
					// never echo the document: it holds credentials
					return nil, nil, fmt.Errorf("%s (document %d): not a valid Secret", f, i)
				}
				if sec.Data == nil {
					sec.Data = map[string][]byte{}
				}
				for k, v := range sec.StringData {
					sec.Data[k] = []byte(v)
				}
				secrets[checkNamespace(sec.Namespace)+"/"+sec.Name] = &sec
			default:
				return nil, nil, fmt.Errorf("%s (document %d): unexpected kind %q; give ClusterBackupStorageLocations and Secrets", f, i, tm.Kind)
			}
		}
	}
	if len(locs) == 0 {
		return nil, nil, fmt.Errorf("%w: no ClusterBackupStorageLocation in %s", errUsage, strings.Join(files, ", "))
	}
	return locs, secrets, nil
}

func readCheckFile(s streams, f string) ([]byte, error) {
	if f == "-" {
		return io.ReadAll(s.In)
	}
	return os.ReadFile(f)
}

// checkNamespace defaults an input object's namespace to KKP's.
func checkNamespace(ns string) string {
	if ns == "" {
		return seed.DefaultCBSLNamespace
	}
	return ns
}
