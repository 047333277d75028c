package velerorules

import (
	"testing"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
)

func mapping(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestValidateRestoreNamespaceMapping(t *testing.T) {
	from := func(m map[string]string) *velerov1.Restore {
		return restoreObj(velerov1.RestoreSpec{BackupName: "done", IncludedNamespaces: []string{"app"}, NamespaceMapping: m})
	}
	tests := map[string]struct {
		obj, old *velerov1.Restore
		user     string
		groups   []string
		cfg      func(*Config)
		wantErr  []string
	}{
		"into kube-system": {obj: from(mapping("app", "kube-system")), wantErr: []string{
			`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "kube-system"`, "only the managed editors (webhook.managedBSLEditors, managedBSLEditorGroups)"}},
		"into kube-node-lease":      {obj: from(mapping("app", "kube-node-lease")), wantErr: []string{`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "kube-node-lease"`}},
		"into kube-public":          {obj: from(mapping("app", "kube-public")), wantErr: []string{`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "kube-public"`}},
		"into the velero namespace": {obj: from(mapping("app", "velero")), wantErr: []string{`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "velero"`}},
		"each bad entry named": {obj: from(mapping("db", "kube-system", "app", "velero", "web", "web-2")), wantErr: []string{
			`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "velero"`, `spec.namespaceMapping[db]: Forbidden: restores namespace "db" into "kube-system"`}},
		"into another namespace":            {obj: from(mapping("app", "app-restored"))},
		"a system namespace into itself":    {obj: from(mapping("kube-public", "kube-public"))},
		"a system namespace elsewhere":      {obj: from(mapping("kube-system", "kube-system-copy"))},
		"back into kube-public, no mapping": {obj: restoreObj(velerov1.RestoreSpec{BackupName: "done", IncludedNamespaces: []string{"kube-public"}, IncludedResources: []string{"configmaps"}})},
		"a named editor":                    {obj: from(mapping("app", "kube-system")), user: applier},
		"an editor by group": {obj: from(mapping("app", "kube-system")), groups: []string{"system:authenticated", "gitops"},
			cfg: func(c *Config) { c.ManagedBSLEditorGroups = []string{"gitops"} }},
		"no editors named: nobody is exempt": {obj: from(mapping("app", "kube-system")), user: applier,
			cfg: func(c *Config) { c.ManagedBSLEditors = nil }, wantErr: []string{`spec.namespaceMapping[app]: Forbidden`}},
		"Velero's namespace comes from the configuration": {
			obj: func() *velerov1.Restore {
				r := from(mapping("app", "backup-system", "db", "velero"))
				r.Namespace = "backup-system"
				return r
			}(),
			cfg:     func(c *Config) { c.Namespace = "backup-system" },
			wantErr: []string{`spec.namespaceMapping[app]: Forbidden: restores namespace "app" into "backup-system"`},
		},
		"and a missing source": {obj: restoreObj(velerov1.RestoreSpec{NamespaceMapping: mapping("app", "kube-system")}), wantErr: []string{
			"spec.namespaceMapping[app]: Forbidden", "spec.backupName: Required value"}},
		"update adds an entry into kube-system": {obj: from(mapping("app", "kube-system")), old: from(nil), wantErr: []string{`spec.namespaceMapping[app]: Forbidden`}},
		"update moves an entry into velero":     {obj: from(mapping("app", "velero")), old: from(mapping("app", "app-2")), wantErr: []string{`spec.namespaceMapping[app]: Forbidden`}},
		"Velero's write to an editor's Restore": {
			obj: func() *velerov1.Restore {
				r := from(mapping("app", "kube-system"))
				r.Status.Phase = velerov1.RestorePhaseInProgress
				return r
			}(),
			old: from(mapping("app", "kube-system")), user: velero,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			user := tc.user
			if user == "" {
				user = alice
			}
			errs, _ := ValidateRestore(ctx, cfg, world(), User{Name: user, Groups: tc.groups}, tc.obj, tc.old)
			check(t, errs, nil, tc.wantErr, "")
		})
	}
}

func TestRestoreClusterRBACWarning(t *testing.T) {
	yes, no := true, false
	tests := map[string]struct {
		spec velerov1.RestoreSpec
		want bool
	}{
		"every namespace, cluster resources unset":      {spec: velerov1.RestoreSpec{}, want: true},
		"every namespace as *":                          {spec: velerov1.RestoreSpec{IncludedNamespaces: []string{"*"}}, want: true},
		"some namespaces, cluster resources unset":      {spec: velerov1.RestoreSpec{IncludedNamespaces: []string{"app"}}},
		"a namespace excluded, cluster resources unset": {spec: velerov1.RestoreSpec{ExcludedNamespaces: []string{"db"}}},
		"some namespaces, cluster resources on":         {spec: velerov1.RestoreSpec{IncludedNamespaces: []string{"app"}, IncludeClusterResources: &yes}, want: true},
		"cluster resources off":                         {spec: velerov1.RestoreSpec{IncludeClusterResources: &no}},
		"clusterroles named":                            {spec: velerov1.RestoreSpec{IncludedResources: []string{"configmaps", "clusterroles"}}, want: true},
		"a binding, fully qualified, upper case":        {spec: velerov1.RestoreSpec{IncludedResources: []string{"ClusterRoleBindings.rbac.authorization.k8s.io"}}, want: true},
		"singular":                                      {spec: velerov1.RestoreSpec{IncludedResources: []string{"clusterrole"}}, want: true},
		"other resources only":                          {spec: velerov1.RestoreSpec{IncludedResources: []string{"configmaps", "roles"}}},
		"both excluded":                                 {spec: velerov1.RestoreSpec{ExcludedResources: []string{"clusterroles", "clusterrolebindings"}}},
		"bindings still included":                       {spec: velerov1.RestoreSpec{ExcludedResources: []string{"clusterroles"}}, want: true},
		"everything excluded":                           {spec: velerov1.RestoreSpec{ExcludedResources: []string{"*"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := restoresClusterRBAC(&tc.spec); got != tc.want {
				t.Fatalf("restoresClusterRBAC = %v, want %v", got, tc.want)
			}
			r := restoreObj(tc.spec)
			r.Spec.BackupName = "done"
			_, warns := ValidateRestore(ctx, testConfig(), world(), User{Name: alice}, r, nil)
			want := ""
			if tc.want {
				want = clusterRBACWarning
			}
			check(t, nil, warns, nil, want)
		})
	}
}
