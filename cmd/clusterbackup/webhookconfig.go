//go:build !webhookonly

package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/clusterbackup/clusterbackup/renderer"
)

// webhookName is the chart's name of the webhook Deployment and its container.
const webhookName, webhookContainer = "clusterbackup-webhook", "webhook"

// podOnlyFlags are webhook flags that only make sense inside the chart's
// Pod: the operator of an external webhook gives their own.
var podOnlyFlags = []string{"--cert-dir"}

// runWebhookConfig prints (or writes) the exact configuration of the
// user-cluster webhook for rendered clusters, for running it outside the
// cluster (chart value webhook.url, "URL mode"), where the chart renders no
// Deployment whose arguments could be copied.
//
// It reads the same inputs and flags as render and renders the cluster
// with the chart's in-cluster webhook (webhook.url cleared), then takes the
// arguments of that Deployment's container: the chart stays the only place
// that turns values into webhook flags. The arguments are parsed by the
// webhook command's own flag parser and checked like at its start, so what
// is printed is what `clusterbackup webhook` accepts.
func runWebhookConfig(ctx context.Context, s streams, args []string) error {
	fs := newFlagSet(s, "webhook-config")
	var rf renderFlags
	rf.register(fs, "a `file, directory or -` (stdin) with Clusters, ClusterBackupStorageLocations and Secrets, as for render (repeatable; default: the bundled examples/fleet)")
	cluster := fs.String("cluster", "", "the cluster `ID` to print the configuration of (default: the only cluster of the inputs)")
	format := fs.String("format", "config", "output `format`: config (a YAML file for `webhook --config`) or flags (one command-line flag per line)")
	out := fs.String("o", "-", "`-` for stdout, a FILE, or with several clusters a DIR for DIR/<cluster-id>.<yaml|flags>")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "Usage: clusterbackup webhook-config [render flags: -f, --values, --previous, ...] [--cluster ID] [--format config|flags] [-o -|FILE|DIR]\n\n"+
			"Prints the user-cluster webhook's configuration for a rendered cluster, to run the webhook outside it\n"+
			"(URL mode). Add --cert-dir (the serving certificate of tls.caBundle's CA) and --kubeconfig.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "config" && *format != "flags" {
		return fmt.Errorf("%w: --format must be config or flags, not %q", errUsage, *format)
	}
	if err := rf.check(); err != nil {
		return err
	}
	inputs, err := loadRenderInputs(s, rf.files)
	if err != nil {
		return err
	}
	inputs, err = selectCluster(inputs, *cluster)
	if err != nil {
		return err
	}
	if len(inputs) > 1 && *out == "-" {
		return fmt.Errorf("%w: the inputs hold %d clusters (%s): choose one with --cluster or write them to a directory with -o DIR",
			errUsage, len(inputs), strings.Join(inputIDs(inputs), ", "))
	}
	lifecycle, err := rf.lifecycle()
	if err != nil {
		return err
	}
	port, err := urlModePort(rf.values)
	if err != nil {
		return err
	}
	// The in-cluster rendering carries the Deployment whose arguments URL
	// mode would use; nothing else of it is printed.
	rf.override = map[string]any{"webhook": map[string]any{"url": ""}}
	r, err := rf.newRenderer(len(inputs))
	if err != nil {
		return err
	}
	for _, in := range inputs {
		lc := renderer.Lifecycle{}
		if lifecycle != nil {
			lc = lifecycle(in)
		}
		res, err := r.RenderLifecycle(ctx, in, lc)
		if err != nil {
			return err
		}
		text, err := webhookConfigOf(s, res, *format, port)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", in.ClusterID(), err)
		}
		if err := writeWebhookConfig(s.Out, *out, len(inputs) > 1, in.ClusterID(), *format, text); err != nil {
			return err
		}
	}
	return nil
}

// selectCluster keeps the input of cluster id, or all inputs when id is "".
func selectCluster(inputs []renderer.Input, id string) ([]renderer.Input, error) {
	if id == "" {
		return inputs, nil
	}
	for _, in := range inputs {
		if in.ClusterID() == id {
			return []renderer.Input{in}, nil
		}
	}
	return nil, fmt.Errorf("%w: --cluster %s: no such cluster in the inputs (%s)", errUsage, id, strings.Join(inputIDs(inputs), ", "))
}

func inputIDs(inputs []renderer.Input) []string {
	ids := make([]string, len(inputs))
	for i, in := range inputs {
		ids[i] = in.ClusterID()
	}
	return ids
}

// webhookConfigOf returns the webhook configuration of one rendered
// cluster in format.
func webhookConfigOf(s streams, res renderer.Result, format string, port int) (string, error) {
	args, err := webhookArgs(res)
	if err != nil {
		return "", err
	}
	if port != 0 {
		args = withPort(args, port)
	}
	opts, f, err := parseWebhookArgs(s, args)
	if err != nil {
		return "", fmt.Errorf("the chart's webhook arguments do not parse: %w", err)
	}
	opts.CertDir = "-" // the operator's; everything else must already hold
	if err := opts.Complete(); err != nil {
		return "", fmt.Errorf("the chart's webhook arguments: %w", err)
	}
	if format == "flags" {
		return strings.Join(args, "\n") + "\n", nil
	}
	// The completed options, defaults spelled out; without the seed
	// options, which user mode does not read.
	opts.CertDir = ""
	raw, err := yaml.Marshal(opts)
	if err == nil {
		var m map[string]any
		if err = yaml.Unmarshal(raw, &m); err == nil {
			delete(m, "seed")
			raw, err = yaml.Marshal(m)
		}
	}
	if err != nil {
		return "", fmt.Errorf("encode the webhook configuration: %w", err)
	}
	head := fmt.Sprintf("# clusterbackup webhook configuration of cluster %s (project %s), from the same inputs as render.\n"+
		"# Run: clusterbackup webhook --config <this file> --cert-dir <dir with tls.crt, tls.key> --kubeconfig <file> --v=%d\n",
		res.ClusterID(), res.Input.ProjectID(), f.verbosity)
	return head + string(raw), nil
}

// urlModePort returns the port webhook.url of the --values files names
// explicitly: the API server calls the webhook there, so the printed
// configuration listens on it. 0 when there is no URL or it names no port
// (then the chart's port stays: a proxy in front maps the scheme's port).
func urlModePort(valueFiles []string) (int, error) {
	vals, err := loadValueFiles(valueFiles)
	if err != nil {
		return 0, err
	}
	wh, _ := vals["webhook"].(map[string]any)
	raw, _ := wh["url"].(string)
	if raw == "" {
		return 0, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("%w: --values: webhook.url: %v", errUsage, err)
	}
	if u.Port() == "" {
		return 0, nil
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("%w: --values: webhook.url: port %q is not a number from 1 to 65535", errUsage, u.Port())
	}
	return port, nil
}

// withPort returns args with --port set to port.
func withPort(args []string, port int) []string {
	out := slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		name, _, _ := strings.Cut(a, "=")
		return name == "--port"
	})
	return append([]string{out[0], "--port=" + strconv.Itoa(port)}, out[1:]...)
}

// webhookArgs returns the webhook flags of the rendered in-cluster
// Deployment, without the subcommand and the Pod-only flags.
func webhookArgs(res renderer.Result) ([]string, error) {
	objs, err := res.Objects()
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetName() != webhookName {
			continue
		}
		var dep appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &dep); err != nil {
			return nil, fmt.Errorf("read the webhook Deployment: %w", err)
		}
		for _, c := range dep.Spec.Template.Spec.Containers {
			if c.Name != webhookContainer || len(c.Args) == 0 || c.Args[0] != "webhook" {
				continue
			}
			return slices.DeleteFunc(slices.Clone(c.Args[1:]), func(a string) bool {
				name, _, _ := strings.Cut(a, "=")
				return slices.Contains(podOnlyFlags, name)
			}), nil
		}
		return nil, fmt.Errorf("the webhook Deployment has no %q container running `webhook`", webhookContainer)
	}
	return nil, fmt.Errorf("the chart renders no webhook for this cluster: set webhook.enabled: true in a --values file (and the cluster must not be disabled)")
}

// writeWebhookConfig writes one cluster's configuration to stdout, to the
// file out, or (several clusters) to out/<id>.<yaml|flags>.
func writeWebhookConfig(stdout io.Writer, out string, many bool, id, format, text string) error {
	if out == "-" {
		_, err := io.WriteString(stdout, text)
		return err
	}
	name := out
	if many {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		ext := ".yaml"
		if format == "flags" {
			ext = ".flags"
		}
		name = filepath.Join(out, id+ext)
	}
	return os.WriteFile(name, []byte(text), 0o644)
}
