package renderer

import (
	"bufio"
	"bytes"
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
)

// Objects are the decoded input objects of a fleet, each with its source
// ("file#document"), before they are matched into Inputs.
type Objects struct {
	Clusters []Sourced[*kkpv1.Cluster]
	CBSLs    []Sourced[*kkpv1.ClusterBackupStorageLocation]
	Secrets  []Sourced[*corev1.Secret]
}

// Sourced is an object with the place it was read from.
type Sourced[T any] struct {
	Object T
	Source string
}

// LoadInputs reads Cluster, ClusterBackupStorageLocation and Secret objects
// from files, directories (every *.yaml, *.yml and *.json below, in lexical
// order) and "-" (standard input), and matches them into a fleet with
// BuildFleet. Other kinds are an error naming the file and document.
func LoadInputs(files ...string) ([]Input, error) {
	var objs Objects
	for _, f := range files {
		if f == "-" {
			if err := objs.Parse("<stdin>", os.Stdin); err != nil {
				return nil, err
			}
			continue
		}
		if err := objs.Load(f); err != nil {
			return nil, err
		}
	}
	return BuildFleet(objs)
}

// Load adds the objects of a file or a directory on disk (every *.yaml,
// *.yml and *.json below it, in lexical order; hidden directories skipped).
func (o *Objects) Load(file string) error {
	file = filepath.Clean(file)
	return o.loadFS(os.DirFS(filepath.Dir(file)), filepath.Base(file), filepath.Dir(file))
}

// LoadInputsFS is LoadInputs on a file system (for example the embedded
// example fleet). paths are files or directories in fsys; none means ".".
func LoadInputsFS(fsys fs.FS, paths ...string) ([]Input, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var objs Objects
	for _, p := range paths {
		if err := objs.loadFS(fsys, p, ""); err != nil {
			return nil, err
		}
	}
	return BuildFleet(objs)
}

// ParseInputs reads the objects of one multi-document YAML or JSON stream;
// name is used in error messages.
func ParseInputs(name string, r io.Reader) ([]Input, error) {
	var objs Objects
	if err := objs.Parse(name, r); err != nil {
		return nil, err
	}
	return BuildFleet(objs)
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
			if !d.IsDir() {
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
// adds the Clusters, CBSLs and Secrets to o. v1 Lists are unpacked. Empty
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
		o.CBSLs = append(o.CBSLs, Sourced[*kkpv1.ClusterBackupStorageLocation]{c, src})
	case h.Kind == "Secret" && h.APIVersion == "v1":
		s := &corev1.Secret{}
		if err := yaml.Unmarshal(j, s); err != nil {
			return fmt.Errorf("%s: Secret %q: %w", src, h.Metadata.Name, err)
		}
		for k, v := range s.StringData {
			if s.Data == nil {
				s.Data = map[string][]byte{}
			}
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
		o.Secrets = append(o.Secrets, Sourced[*corev1.Secret]{s, src})
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
