package velerorules

import (
	"fmt"
	"strings"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// BSLCorrections returns a warning for each value of the managed BSL b,
// before defaulting, that DefaultBSL will change rather than fill, so the
// requester learns that the stored object is not what was sent (kubectl
// would otherwise print "patched" and nothing else):
//
//   - default false (or left out) becomes true: the managed BSL is always
//     the cluster's default;
//   - a trailing "/" of the prefix is removed.
//
// Empty bucket, endpoint and prefix are filled without a warning: filling
// is what leaving them out asks for. Other BSLs give no warning.
func BSLCorrections(cfg *Config, b *velerov1.BackupStorageLocation) admission.Warnings {
	if !cfg.IsManagedBSL(b) {
		return nil
	}
	var w admission.Warnings
	if !b.Spec.Default {
		w = append(w, warnf("spec.default set to true: the managed BSL %q is always this cluster's default", b.Name))
	}
	if os := b.Spec.ObjectStorage; os != nil && os.Prefix != "" && strings.HasSuffix(os.Prefix, "/") {
		w = append(w, warnf("spec.objectStorage.prefix of the managed BSL %q: the trailing \"/\" was removed", b.Name))
	}
	return w
}

// warnf formats a warning about the object named name, shortening the name
// (with "...") rather than the end of the sentence so the warning stays
// within MaxWarningLength.
func warnf(format, name string) string {
	s := fmt.Sprintf(format, name)
	if over := len(s) - MaxWarningLength; over > 0 {
		keep := max(len(name)-over-3, 0)
		s = fmt.Sprintf(format, name[:keep]+"...")
	}
	return s
}
