// Package input is the one loader of clusterbackup's input files: KKP
// Clusters, ClusterBackupStorageLocations and their Secrets, from files,
// directories, standard input and v1 Lists, as every command reads them.
//
// It normalizes what the API server would: a Secret's stringData is merged
// into data (stringData wins), and a CBSL or Secret without a namespace is in
// KKP's namespace "kubermatic". It never echoes a Secret's content in errors.
package input

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// DefaultNamespace is the namespace of CBSLs and Secrets read without one:
// KKP keeps them in "kubermatic".
const DefaultNamespace = kkpv1.KKPNamespace

// Objects are the decoded input objects, each with its source
// ("file#document"), in the order they were read.
type Objects struct {
	Clusters []Sourced[*kkpv1.Cluster]
	CBSLs    []Sourced[*kkpv1.ClusterBackupStorageLocation]
	Secrets  []Sourced[*corev1.Secret]
	// ReleaseStates are the seed release loop's state ConfigMaps (v1
	// ConfigMaps labelled kkpv1.ClusterIDLabel), read only with
	// AcceptConfigMaps.
	ReleaseStates []Sourced[*corev1.ConfigMap]
	// AcceptConfigMaps makes v1 ConfigMaps inputs (fleet status): those
	// labelled kkpv1.ClusterIDLabel go to ReleaseStates, others are
	// ignored. Without it a ConfigMap is refused as any other kind.
	AcceptConfigMaps bool
	// Skip, when set, leaves out files found while walking a directory
	// (names relative to the file system read); files named explicitly
	// are always read.
	Skip func(name string) bool
}

// Sourced is an object with the place it was read from.
type Sourced[T any] struct {
	Object T
	Source string
}

// Load reads the objects of files, directories (every *.yaml, *.yml and
// *.json below, in lexical order; hidden directories skipped) and "-"
// (stdin, read from in).
func Load(in io.Reader, paths ...string) (*Objects, error) {
	o := &Objects{}
	if err := o.LoadPaths(in, paths...); err != nil {
		return nil, err
	}
	return o, nil
}

// LoadPaths adds the objects of paths as Load reads them (for Objects
// configured first, e.g. with AcceptConfigMaps).
func (o *Objects) LoadPaths(in io.Reader, paths ...string) error {
	for _, p := range paths {
		if p == "-" {
			if in == nil {
				in = os.Stdin
			}
			if err := o.Parse("<stdin>", in); err != nil {
				return err
			}
			continue
		}
		if err := o.Load(p); err != nil {
			return err
		}
	}
	return nil
}

// Load adds the objects of a file or a directory on disk (every *.yaml,
// *.yml and *.json below it, in lexical order; hidden directories skipped).
func (o *Objects) Load(file string) error {
	file = filepath.Clean(file)
	return o.loadFS(os.DirFS(filepath.Dir(file)), filepath.Base(file), filepath.Dir(file))
}

// LoadFS reads files or directories of a file system (for example the
// embedded example fleet); no paths means ".".
func LoadFS(fsys fs.FS, paths ...string) (*Objects, error) {
	o := &Objects{}
	if err := o.LoadFS(fsys, paths...); err != nil {
		return nil, err
	}
	return o, nil
}

// LoadFS adds the objects of files or directories of a file system, named
// in messages by their path in it; no paths means ".".
func (o *Objects) LoadFS(fsys fs.FS, paths ...string) error {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if err := o.loadFS(fsys, p, ""); err != nil {
			return err
		}
	}
	return nil
}

// loadFS reads p (a file or directory) from fsys; display prefixes names in
// messages.
func (o *Objects) loadFS(fsys fs.FS, p, display string) error {
	show := func(name string) string {
		if display == "" {
			return name
		}
		return filepath.Join(display, filepath.FromSlash(name))
	}
	st, err := fs.Stat(fsys, p)
	if err != nil {
		return fmt.Errorf("read inputs: %w", err)
	}
	if !st.IsDir() {
		return o.parseFile(fsys, p, show(p))
	}
	var names []string
	err = fs.WalkDir(fsys, p, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && name != p && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		switch path.Ext(name) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() && (o.Skip == nil || !o.Skip(name)) {
				names = append(names, name)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read inputs in %s: %w", show(p), err)
	}
	if len(names) == 0 {
		return fmt.Errorf("read inputs: %s holds no *.yaml, *.yml or *.json files", show(p))
	}
	sort.Strings(names)
	for _, n := range names {
		if err := o.parseFile(fsys, n, show(n)); err != nil {
			return err
		}
	}
	return nil
}

func (o *Objects) parseFile(fsys fs.FS, name, display string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("read inputs: %w", err)
	}
	defer f.Close()
	return o.Parse(display, f)
}

// typeHeader is what decides how a document is decoded.
type typeHeader struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Items      []rawJSON         `json:"items"`
}

// rawJSON keeps a List item's raw bytes.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// Parse decodes every document of a multi-document YAML (or JSON) stream and
// adds the Clusters, CBSLs and Secrets (and, with AcceptConfigMaps, the
// release state ConfigMaps) to o (see the package comment for
// how they are normalized). v1 Lists are unpacked. Empty
// documents are skipped; any other kind is an error naming name and the
// document number.
func (o *Objects) Parse(name string, r io.Reader) error {
	rd := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		b, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			doc--
			continue
		}
		if err := o.add(fmt.Sprintf("%s#%d", name, doc), b); err != nil {
			return err
		}
	}
}

func (o *Objects) add(src string, b []byte) error {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return fmt.Errorf("%s: invalid YAML: %w", src, err)
	}
	if string(bytes.TrimSpace(j)) == "null" {
		return nil // comments only
	}
	var h typeHeader
	if err := yaml.Unmarshal(j, &h); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	switch {
	case h.Kind == kkpv1.KindCluster && h.APIVersion == kkpv1.GroupVersion.String():
		c := &kkpv1.Cluster{}
		if err := yaml.Unmarshal(j, c); err != nil {
			return fmt.Errorf("%s: Cluster %q: %w", src, h.Metadata.Name, err)
		}
		o.Clusters = append(o.Clusters, Sourced[*kkpv1.Cluster]{c, src})
	case h.Kind == kkpv1.KindClusterBackupStorageLocation && h.APIVersion == kkpv1.GroupVersion.String():
		c := &kkpv1.ClusterBackupStorageLocation{}
		if err := yaml.Unmarshal(j, c); err != nil {
			return fmt.Errorf("%s: ClusterBackupStorageLocation %q: %w", src, h.Metadata.Name, err)
		}
		if c.Namespace == "" {
			c.Namespace = DefaultNamespace
		}
		o.CBSLs = append(o.CBSLs, Sourced[*kkpv1.ClusterBackupStorageLocation]{c, src})
	case h.Kind == "Secret" && h.APIVersion == "v1":
		s := &corev1.Secret{}
		if err := yaml.Unmarshal(j, s); err != nil {
			// never wrap the decoder's error: it may quote the document
			return fmt.Errorf("%s: Secret %q: not a valid v1 Secret", src, h.Metadata.Name)
		}
		if s.Namespace == "" {
			s.Namespace = DefaultNamespace
		}
		for k, v := range s.StringData {
			if s.Data == nil {
				s.Data = map[string][]byte{}
			}
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
		o.Secrets = append(o.Secrets, Sourced[*corev1.Secret]{s, src})
	case h.Kind == "ConfigMap" && h.APIVersion == "v1" && o.AcceptConfigMaps:
		if h.Metadata.Labels[kkpv1.ClusterIDLabel] == "" {
			return nil // not a release state: ignored
		}
		cm := &corev1.ConfigMap{}
		if err := yaml.Unmarshal(j, cm); err != nil {
			return fmt.Errorf("%s: ConfigMap %q: not a valid v1 ConfigMap", src, h.Metadata.Name)
		}
		if cm.Namespace == "" {
			cm.Namespace = DefaultNamespace
		}
		o.ReleaseStates = append(o.ReleaseStates, Sourced[*corev1.ConfigMap]{cm, src})
	case h.Kind == "List" && h.APIVersion == "v1":
		for i, item := range h.Items {
			if err := o.add(fmt.Sprintf("%s.items[%d]", src, i), item); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: %s %q: kind %q of %q is not an input; expected kubermatic.k8c.io/v1 Cluster or ClusterBackupStorageLocation, or v1 Secret",
			src, h.Kind, h.Metadata.Name, h.Kind, h.APIVersion)
	}
	return nil
}

// Secret returns the Secret namespace/name, or nil.
func (o *Objects) Secret(namespace, name string) *corev1.Secret {
	for _, s := range o.Secrets {
		if s.Object.Name == name && s.Object.Namespace == namespace {
			return s.Object
		}
	}
	return nil
}

// SecretGetter serves the Secrets read, for storage.Resolve.
func (o *Objects) SecretGetter() storage.SecretGetter {
	return func(_ context.Context, namespace, name string) (*corev1.Secret, error) {
		return o.Secret(namespace, name), nil
	}
}
