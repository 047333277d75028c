package drill

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labels and annotations of drills.
const (
	// Label marks every object a drill creates in a user cluster (scratch
	// namespaces, the Restore, the modifiers ConfigMap); cleanup finds
	// leftovers by it.
	Label = "clusterbackup.io/drill"
	// RunLabel carries the drill's run ID.
	RunLabel = "clusterbackup.io/drill-run"
	// OptOutAnnotation on a KKP Cluster, set to "disabled", leaves the
	// cluster out of scheduled drills (`drill run` still drills it).
	OptOutAnnotation = "clusterbackup.io/drill"
	// OptOutValue is the value of OptOutAnnotation that opts out.
	OptOutValue = "disabled"
)

// NamePrefix starts every scratch namespace: drill-<run>-<n>.
const NamePrefix = "drill-"

// NewRun returns a fresh run ID: 8 lowercase hex digits.
func NewRun() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DefaultMaxNamespaces bounds the scratch namespaces of one drill unless
// PlanOptions.MaxNamespaces says otherwise.
const DefaultMaxNamespaces = 10

// PlanOptions bound what one drill restores.
type PlanOptions struct {
	// MaxNamespaces bounds the scratch namespaces (the backup's namespaces
	// beyond it, in name order, are not restored and the record says so).
	// Default DefaultMaxNamespaces.
	MaxNamespaces int
	// Quota is the ResourceQuota of each scratch namespace. Default
	// DefaultQuota.
	Quota corev1.ResourceList
}

// DefaultQuota is each scratch namespace's ResourceQuota by default: a
// bounded number of pods and claims, no load balancers or node ports.
func DefaultQuota() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourcePods:                   resource.MustParse("50"),
		corev1.ResourcePersistentVolumeClaims: resource.MustParse("20"),
		corev1.ResourceRequestsStorage:        resource.MustParse("200Gi"),
		corev1.ResourceServicesLoadBalancers:  resource.MustParse("0"),
		corev1.ResourceServicesNodePorts:      resource.MustParse("0"),
	}
}

func (o PlanOptions) withDefaults() PlanOptions {
	if o.MaxNamespaces <= 0 {
		o.MaxNamespaces = DefaultMaxNamespaces
	}
	if o.Quota == nil {
		o.Quota = DefaultQuota()
	}
	return o
}

// neverRestored are namespaces a drill never maps: the system ones and
// Velero's own (a copy of Velero would serve the same BSL).
var neverRestored = []string{"kube-system", "kube-public", "kube-node-lease"}

// Plan is what one drill restores, and where.
type Plan struct {
	// Run is the drill's run ID (NewRun).
	Run string
	// Backup is the Velero Backup restored.
	Backup string
	// VeleroNamespace is the user cluster's Velero namespace.
	VeleroNamespace string
	// Namespaces maps each restored namespace of the backup to its scratch
	// namespace.
	Namespaces map[string]string
	// Skipped are the backup's namespaces not restored (system, Velero's,
	// beyond MaxNamespaces).
	Skipped []string
	// Quota is each scratch namespace's ResourceQuota.
	Quota corev1.ResourceList
}

// NewPlan maps the backup's namespaces (sources, from its resource list)
// to scratch namespaces drill-<run>-<n>, n counting from 1 in name order.
func NewPlan(run, backup, veleroNamespace string, sources []string, o PlanOptions) Plan {
	o = o.withDefaults()
	p := Plan{Run: run, Backup: backup, VeleroNamespace: veleroNamespace, Namespaces: map[string]string{}, Quota: o.Quota}
	src := slices.Clone(sources)
	slices.Sort(src)
	src = slices.Compact(src)
	for _, ns := range src {
		if ns == veleroNamespace || slices.Contains(neverRestored, ns) || len(p.Namespaces) >= o.MaxNamespaces {
			p.Skipped = append(p.Skipped, ns)
			continue
		}
		p.Namespaces[ns] = fmt.Sprintf("%s%s-%d", NamePrefix, run, len(p.Namespaces)+1)
	}
	return p
}

// Sources returns the restored namespaces of the backup, sorted.
func (p Plan) Sources() []string {
	out := make([]string, 0, len(p.Namespaces))
	for k := range p.Namespaces {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Scratch returns the scratch namespaces, sorted.
func (p Plan) Scratch() []string {
	out := make([]string, 0, len(p.Namespaces))
	for _, v := range p.Namespaces {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// RestoreName is the name of the drill's Restore and of its modifiers
// ConfigMap.
func (p Plan) RestoreName() string { return "clusterbackup-drill-" + p.Run }

// Labels are the labels of every object the drill creates.
func (p Plan) Labels() map[string]string {
	return map[string]string{Label: "true", RunLabel: p.Run}
}

// Selector selects every object of any drill (Label).
func Selector() map[string]string { return map[string]string{Label: "true"} }

// QuotaName and PolicyName name the objects in each scratch namespace.
const (
	QuotaName  = "clusterbackup-drill"
	PolicyName = "clusterbackup-drill-deny-all"
)

// ScratchObjects returns, for each scratch namespace in name order, the
// Namespace, its deny-all NetworkPolicy (no ingress, no egress, every pod)
// and its ResourceQuota: created before the Restore, so nothing restored
// runs without them.
func (p Plan) ScratchObjects() []client.Object {
	var out []client.Object
	for _, ns := range p.Scratch() {
		out = append(out, []client.Object{
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: p.Labels()}},
			&networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: PolicyName, Namespace: ns, Labels: p.Labels()},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{},
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
				},
			},
			&corev1.ResourceQuota{
				ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: ns, Labels: p.Labels()},
				Spec:       corev1.ResourceQuotaSpec{Hard: p.Quota.DeepCopy()},
			},
		}...)
	}
	return out
}

// ModifiersConfigMap returns the ConfigMap of the Restore's resource
// modifiers (Modifiers) in the Velero namespace.
func (p Plan) ModifiersConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: p.RestoreName(), Namespace: p.VeleroNamespace, Labels: p.Labels()},
		Data:       map[string]string{ModifiersKey: Modifiers},
	}
}

// Restore returns the drill's Velero Restore: the backup's restored
// namespaces only, mapped into the scratch namespaces, PV data included,
// no cluster-scoped resources, ExcludedResources left out, no node ports
// kept, existing objects never touched, resource modifiers applied.
func (p Plan) Restore() *velerov1.Restore {
	return &velerov1.Restore{
		ObjectMeta: metav1.ObjectMeta{Name: p.RestoreName(), Namespace: p.VeleroNamespace, Labels: p.Labels()},
		Spec: velerov1.RestoreSpec{
			BackupName:              p.Backup,
			IncludedNamespaces:      p.Sources(),
			NamespaceMapping:        p.Namespaces,
			ExcludedResources:       ExcludedResourceNames(),
			IncludeClusterResources: ptr.To(false),
			RestorePVs:              ptr.To(true),
			PreserveNodePorts:       ptr.To(false),
			ExistingResourcePolicy:  velerov1.PolicyTypeNone,
			ResourceModifier:        &corev1.TypedLocalObjectReference{Kind: "configmap", Name: p.RestoreName()},
		},
	}
}
