package settings

import (
	"strings"
	"unicode"
)

// Which front end takes which setting, in one place.
//
// The Argo CD plugin and the KRM function take every parameter of Specs.
// The CLI's render commands (render, diff -f, webhook-config) bind one flag
// per parameter, named FlagName(parameter), with the parameter's help and
// default, except the parameters in GitOpsOnly; cmd/clusterbackup's
// renderflags.go keeps the few flags whose shape differs from their
// parameter (--no-node-agent, the negation of nodeAgent; the
// external-secret alias of --credentials; --external-secret-store-kind
// beside --external-secret-store). The CLI's render flags that are no
// parameter are in CLIOnly. The seed's release loop reads a RenderConfig
// and refuses the parameters in GitOpsOnly (it drives them itself).

// GitOpsOnlyParam is a parameter the CLI has no flag for and the seed's
// release loop refuses: it says which cluster to render, from which inputs,
// with which life cycle. A GitOps tool must be told that in its
// configuration; the CLI and the release loop know it otherwise.
type GitOpsOnlyParam struct {
	// Name is the parameter name.
	Name string
	// CLI says what the CLI takes instead.
	CLI string
	// ReleaseLoop says what the seed's release loop does instead.
	ReleaseLoop string
}

// GitOpsOnly are the parameters only the Argo CD plugin and the KRM
// function take (inputs: the Argo CD plugin only, a KRM function's inputs
// are its items).
var GitOpsOnly = []GitOpsOnlyParam{
	{Name: ParamCluster, CLI: "every Cluster of the -f inputs is rendered", ReleaseLoop: "the loop renders every Cluster of the seed"},
	{Name: ParamInputs, CLI: "-f names the input files and directories", ReleaseLoop: "the loop reads Clusters and ClusterBackupStorageLocations from the seed's API"},
	{Name: ParamLifecycle, CLI: "--disable and --purge", ReleaseLoop: "the seed drives the life cycle from each Cluster's backupConfig"},
	{Name: ParamPreviousLocations, CLI: "--previous (files of the old CBSLs) and --kkp-migrate", ReleaseLoop: "the seed remembers each cluster's previous locations itself"},
}

// GitOpsOnlyFor returns the entry of GitOpsOnly for a parameter, or false.
func GitOpsOnlyFor(name string) (GitOpsOnlyParam, bool) {
	for _, g := range GitOpsOnly {
		if g.Name == name {
			return g, true
		}
	}
	return GitOpsOnlyParam{}, false
}

// CLIOnlyFlag is a render flag of the CLI that is no parameter.
type CLIOnlyFlag struct {
	// Flag is the flag's name without dashes.
	Flag string
	// Why says why it is no parameter.
	Why string
}

// CLIOnly are the CLI's render flags that are no parameter: they are about
// one run's files and process, or about the life cycle the GitOps tools
// take as parameters (see GitOpsOnly), not about how a release looks.
var CLIOnly = []CLIOnlyFlag{
	{Flag: "f", Why: "the input files; the Argo CD plugin takes parameter inputs, the KRM function its items, the release loop the seed's API"},
	{Flag: "values", Why: "files of extra chart values for the whole fleet; Flux and helm template take chart values themselves, the Argo CD plugin, the KRM function and the release loop render only what the parameters say"},
	{Flag: "previous", Why: "files of the CBSLs used before a storage switch; the GitOps tools name them with parameter previousLocations among their inputs, the release loop remembers them"},
	{Flag: "disable", Why: "the disabled life cycle; parameter lifecycle=disabled for the GitOps tools, the Cluster's backupConfig for the release loop"},
	{Flag: "purge", Why: "the purged life cycle; parameter lifecycle=purged for the GitOps tools; the release loop never purges"},
	{Flag: "kkp-migrate", Why: "KKP's own location kept as a read-only BSL; parameter previousLocations for the GitOps tools, the takeover for the release loop"},
	{Flag: "concurrency", Why: "clusters rendered at once by one process; the GitOps tools render one cluster per run, the release loop has its workers"},
}

// FlagName is the CLI flag of a parameter: its name in kebab case
// (veleroVersion: velero-version).
func FlagName(param string) string {
	var b strings.Builder
	for i, r := range param {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
