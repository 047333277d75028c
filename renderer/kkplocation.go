package renderer

import (
	"fmt"
	"strings"
)

// KKPLocationPolicy is the ValidatingAdmissionPolicy the chart renders
// (templates/admission-policies-kkp-location.yaml) when a release keeps
// KKP's location read-only under KKPBSLName, the managed BSL has another
// name, the API server serves no MutatingAdmissionPolicy to map KKP's name
// onto the managed BSL and the webhook, which maps it too, is off: it
// denies Backups and Schedules naming KKPBSLName, as KKP's dashboard writes
// them, with the fix. Where MutatingAdmissionPolicy is served the chart maps
// them instead (clusterbackup-backups-kkp-location,
// clusterbackup-schedules-kkp-location), and renders no such policy.
const KKPLocationPolicy = "clusterbackup-kkp-location"

// mapAPIVersions say that the API server serves MutatingAdmissionPolicy
// (admissionregistration.k8s.io/v1 since Kubernetes 1.36, on by default).
var mapAPIVersions = []string{
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicy",
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding",
}

// mapMinMinor is the first Kubernetes 1.x minor serving
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicy.
const mapMinMinor = 36

// KKPLocationWarning is the render warning of a release whose chart denies
// KKP's BSL name (KKPLocationPolicy): what a KKP dashboard user will see and
// the two ways out.
func KKPLocationWarning(clusterID, managed, kubeVersion string) string {
	return fmt.Sprintf("cluster %s: Backups and Schedules naming %q (as KKP's dashboard writes them) will be denied with the fix to name the managed BSL %q: "+
		"KKP's BSL is kept read-only, Kubernetes %s serves no MutatingAdmissionPolicy (1.%d+) to map the name, and the webhook is off; "+
		"enable the webhook (webhook.enabled) to map them (docs/migration.md)", clusterID, KKPBSLName, managed, kubeVersion, mapMinMinor)
}

// kkpLocationWarnings returns the warnings of a rendered release ms for
// in: KKPLocationWarning when the chart rendered KKPLocationPolicy.
func (r *Renderer) kkpLocationWarnings(in Input, vals map[string]any, ms []Manifest) []string {
	for _, m := range ms {
		if m.Kind == "ValidatingAdmissionPolicy" && m.Name == KKPLocationPolicy {
			return []string{KKPLocationWarning(in.ClusterID(), managedBSLName(vals), r.caps.KubeVersion.Version)}
		}
	}
	return nil
}

// managedBSLName is the managed BSL's name the chart renders for vals.
func managedBSLName(vals map[string]any) string {
	if b, ok := vals["bsl"].(map[string]any); ok {
		if n, ok := b["name"].(string); ok && n != "" {
			return n
		}
	}
	return "default"
}

// servesMAP reports whether Kubernetes major.minor ("1", "37") serves
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicy.
func servesMAP(major, minor string) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(major, "%d", &ma); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(strings.TrimSuffix(minor, "+"), "%d", &mi); err != nil {
		return false
	}
	return ma > 1 || (ma == 1 && mi >= mapMinMinor)
}
