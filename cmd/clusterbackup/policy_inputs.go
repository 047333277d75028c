//go:build !webhookonly

package main

// Input files of the policy and download commands: a small local decoder for
// Cluster, ClusterBackupStorageLocation and Secret YAML (the renderer has its
// own fleet loader).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// policyDoc is one YAML document of an input file.
type policyDoc struct {
	file string
	idx  int // 1-based document number in the file
	kind string
	raw  []byte
}

func (d policyDoc) where() string {
	if d.idx <= 1 {
		return d.file
	}
	return fmt.Sprintf("%s (document %d)", d.file, d.idx)
}

// readPolicyDocs splits a file into its non-empty YAML documents.
func readPolicyDocs(path string) ([]policyDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []policyDoc
	for i := 1; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(raw, &tm); err != nil {
			return nil, fmt.Errorf("%s (document %d): %w", path, i, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || (tm.Kind == "" && isEmptyPolicyDoc(raw)) {
			continue
		}
		docs = append(docs, policyDoc{file: path, idx: i, kind: tm.Kind, raw: raw})
	}
}

func isEmptyPolicyDoc(raw []byte) bool {
	var v any
	return yaml.Unmarshal(raw, &v) == nil && v == nil
}

// decodeInputFile reads a file that holds exactly one object of the given kind.
func decodeInputFile(path, kind string, into any) error {
	docs, err := readPolicyDocs(path)
	if err != nil {
		return err
	}
	switch {
	case len(docs) == 0:
		return fmt.Errorf("%s: no object in the file, expected a %s", path, kind)
	case len(docs) > 1:
		return fmt.Errorf("%s: %d objects in the file, expected one %s", path, len(docs), kind)
	case docs[0].kind != kind:
		return fmt.Errorf("%s: holds kind %q, expected a %s", path, docs[0].kind, kind)
	}
	if err := yaml.Unmarshal(docs[0].raw, into); err != nil {
		return fmt.Errorf("%s: %s: %w", path, kind, err)
	}
	return nil
}

type policyCluster struct {
	file string
	obj  *kkpv1.Cluster
}

type policyLocation struct {
	file string
	obj  *kkpv1.ClusterBackupStorageLocation
}

// policyFleet holds the Clusters and CBSLs of the -f inputs; other kinds are
// ignored (a fleet directory may hold Secrets too).
type policyFleet struct {
	clusters  []policyCluster
	locations map[string]policyLocation
}

func (f *policyFleet) hasCluster(id string) bool {
	for _, c := range f.clusters {
		if c.obj.Name == id {
			return true
		}
	}
	return false
}

// loadPolicyFleet reads files and directories (recursively: *.yaml, *.yml, *.json)
// in lexical order.
func loadPolicyFleet(paths []string) (*policyFleet, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	fl := &policyFleet{locations: map[string]policyLocation{}}
	seen := map[string]string{}
	for _, file := range files {
		docs, err := readPolicyDocs(file)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			switch d.kind {
			case "Cluster":
				c := &kkpv1.Cluster{}
				if err := yaml.Unmarshal(d.raw, c); err != nil {
					return nil, fmt.Errorf("%s: Cluster: %w", d.where(), err)
				}
				if prev, dup := seen[c.Name]; dup {
					return nil, fmt.Errorf("%s: cluster %q is also defined in %s", d.where(), c.Name, prev)
				}
				seen[c.Name] = d.where()
				fl.clusters = append(fl.clusters, policyCluster{file: d.where(), obj: c})
			case "ClusterBackupStorageLocation":
				l := &kkpv1.ClusterBackupStorageLocation{}
				if err := yaml.Unmarshal(d.raw, l); err != nil {
					return nil, fmt.Errorf("%s: ClusterBackupStorageLocation: %w", d.where(), err)
				}
				if prev, dup := fl.locations[l.Name]; dup {
					return nil, fmt.Errorf("%s: ClusterBackupStorageLocation %q is also defined in %s", d.where(), l.Name, prev.file)
				}
				fl.locations[l.Name] = policyLocation{file: d.where(), obj: l}
			}
		}
	}
	return fl, nil
}

func policySortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
