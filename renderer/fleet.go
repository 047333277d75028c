package renderer

import (
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kkpv1 "github.com/clusterbackup/clusterbackup/api/v1"
	"github.com/clusterbackup/clusterbackup/internal/input"
	"github.com/clusterbackup/clusterbackup/internal/prefix"
	"github.com/clusterbackup/clusterbackup/internal/storage"
)

// LoadInputs reads files, directories and "-" (standard input) with the one
// input loader (internal/input) and matches the objects into a fleet with
// BuildFleet.
func LoadInputs(paths ...string) ([]Input, error) {
	objs, err := input.Load(nil, paths...)
	if err != nil {
		return nil, err
	}
	return BuildFleet(objs)
}

// LoadInputsFS is LoadInputs on a file system (for example the embedded
// example fleet); no paths means ".".
func LoadInputsFS(fsys fs.FS, paths ...string) ([]Input, error) {
	objs, err := input.LoadFS(fsys, paths...)
	if err != nil {
		return nil, err
	}
	return BuildFleet(objs)
}

// ParseInputs is LoadInputs on one multi-document YAML or JSON stream; name
// is used in error messages.
func ParseInputs(name string, r io.Reader) ([]Input, error) {
	objs := &input.Objects{}
	if err := objs.Parse(name, r); err != nil {
		return nil, err
	}
	return BuildFleet(objs)
}

// BuildFleet matches decoded objects into Inputs, one per Cluster, sorted by
// cluster ID. Each Cluster gets the CBSL its backupConfig names and that
// CBSL's credential Secret (same namespace, when given). It refuses, naming
// source, object, field and rule: a Cluster without project-id, a missing
// CBSL, a CBSL of another project, a provider other than aws, a missing
// bucket or one containing "/", a bad prefix, bad IDs, duplicate cluster IDs
// or CBSLs, and two clusters whose prefixes nest on the same storage. Every
// problem is reported, not only the first. CBSLs and Secrets no Cluster uses
// are ignored.
func BuildFleet(objs *input.Objects) ([]Input, error) {
	var errs []error

	cbsls := map[string][]input.Sourced[*kkpv1.ClusterBackupStorageLocation]{}
	seenCBSL := map[string]string{}
	for _, c := range objs.CBSLs {
		key := nsName(c.Object.Namespace, c.Object.Name)
		if first, ok := seenCBSL[key]; ok {
			errs = append(errs, cbslError(c.Source, c.Object, field.ErrorList{field.Duplicate(field.NewPath("metadata", "name"), c.Object.Name+" (first defined at "+first+")")}))
			continue
		}
		seenCBSL[key] = c.Source
		cbsls[c.Object.Name] = append(cbsls[c.Object.Name], c)
	}

	var inputs []Input
	seenCluster := map[string]string{}
	checkedCBSL := map[string]bool{}
	badCBSL := map[string]bool{}
	for _, sc := range objs.Clusters {
		c := sc.Object
		if first, ok := seenCluster[c.Name]; ok {
			errs = append(errs, clusterError(sc.Source, c, field.ErrorList{field.Duplicate(field.NewPath("metadata", "name"), c.Name+" (first defined at "+first+"); cluster IDs must be unique in a fleet")}))
			continue
		}
		seenCluster[c.Name] = sc.Source

		in := Input{Cluster: c, ClusterSource: sc.Source}
		cand := cbsls[c.StorageLocationName()]
		if len(cand) > 1 {
			var where []string
			for _, x := range cand {
				where = append(where, nsName(x.Object.Namespace, x.Object.Name)+" at "+x.Source)
			}
			errs = append(errs, clusterError(sc.Source, c, field.ErrorList{field.Invalid(field.NewPath("spec", "backupConfig", "backupStorageLocation", "name"), c.StorageLocationName(), "ambiguous: several ClusterBackupStorageLocations have this name: "+strings.Join(where, ", "))}))
			continue
		}
		if len(cand) == 1 {
			in.CBSL, in.CBSLSource = cand[0].Object, cand[0].Source
			key := nsName(in.CBSL.Namespace, in.CBSL.Name)
			if !checkedCBSL[key] {
				checkedCBSL[key] = true
				if el, _ := storage.ValidateCBSL(in.CBSL, nil); len(el) > 0 {
					badCBSL[key] = true
					errs = append(errs, cbslError(in.CBSLSource, in.CBSL, el))
				}
			}
			if badCBSL[key] {
				// Reported once with the CBSL; still check the Cluster itself.
				if el := storage.ValidateCluster(c, in.CBSL, in.CBSL.Namespace); len(el) > 0 {
					errs = append(errs, clusterError(sc.Source, c, el))
				}
				continue
			}
			if ref := in.CBSL.Spec.Credential; ref != nil {
				in.Secret = objs.Secret(in.CBSL.Namespace, ref.Name)
			}
		}
		if el := storage.ValidateCluster(c, in.CBSL, input.DefaultNamespace); len(el) > 0 {
			errs = append(errs, clusterError(sc.Source, c, el))
			continue
		}
		in.checked.cluster, in.checked.cbsl = in.Cluster, in.CBSL
		inputs = append(inputs, in)
	}
	errs = append(errs, checkNesting(inputs)...)
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("no Cluster among the inputs; give at least one kubermatic.k8c.io/v1 Cluster and its ClusterBackupStorageLocation")
	}
	sort.Slice(inputs, func(i, j int) bool { return inputs[i].ClusterID() < inputs[j].ClusterID() })
	return inputs, nil
}

// storageKey identifies one object store: the canonical endpoint and the
// bucket.
func storageKey(in Input) string {
	return storage.CanonicalEndpoint(in.CBSL.Spec.Config[storage.ConfigS3URL]) + "\x00" + in.CBSL.Spec.ObjectStorage.Bucket
}

// checkNesting refuses two clusters on the same storage whose prefixes nest:
// Velero marks a location invalid when its prefix root holds anything but its
// own folders. Inputs must be valid.
func checkNesting(inputs []Input) []error {
	type entry struct {
		prefix string
		in     Input
	}
	groups := map[string][]entry{}
	for _, in := range inputs {
		p, _ := prefix.Join(in.CBSL.Spec.ObjectStorage.Prefix, in.ProjectID(), in.ClusterID())
		k := storageKey(in)
		groups[k] = append(groups[k], entry{p, in})
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		g := groups[k]
		// Sorting with "/" as the lowest byte puts every prefix right before
		// the prefixes below it.
		sort.Slice(g, func(i, j int) bool {
			return strings.ReplaceAll(g[i].prefix, "/", "\x00") < strings.ReplaceAll(g[j].prefix, "/", "\x00")
		})
		for i := 0; i < len(g); i++ {
			for j := i + 1; j < len(g) && prefix.Contains(g[i].prefix, g[j].prefix); j++ {
				parent, child := g[i], g[j]
				errs = append(errs, clusterError(child.in.ClusterSource, child.in.Cluster, field.ErrorList{field.Invalid(
					field.NewPath("spec", "backupConfig", "backupStorageLocation", "name"), child.in.CBSL.Name,
					fmt.Sprintf("the cluster's prefix %q lies inside the prefix %q of cluster %q (%s) on the same bucket; Velero would mark that location invalid",
						child.prefix, parent.prefix, parent.in.ClusterID(), parent.in.ClusterSource))}))
			}
		}
	}
	return errs
}
