//go:build !webhookonly

package main

import (
	"io"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// seedChartOwnedFlags are the flags the seed chart passes although their
// value may equal the binary's default: the chart's own objects need the
// value, so it lives in values.yaml and the flag is derived from it.
var seedChartOwnedFlags = map[string]string{
	"port":              "values.port: the webhook container port, the Service's target and the NetworkPolicy's webhook port",
	"health-addr":       "values.healthPort: the health container port the probes call",
	"metrics-addr":      "values.metricsPort: the metrics container port, the Service's and the NetworkPolicy's metrics port",
	"cbsl-namespace":    "values.cbslNamespace: the Roles granting CBSLs and Secrets are rendered into it",
	"leader-elect-id":   "leaderElection.id: the leader election Role grants this Lease by name (resourceNames)",
	"kubeconfig-secret": "userClusters.kubeconfigSecret: the controllers' ClusterRole grants get on Secrets of this name (resourceNames)",
}

// TestSeedChartDefaultsOnce renders the seed chart with the real helm CLI
// and loads each Deployment's arguments as the binary does
// (parseWebhookArgs, parseControllersArgs): with the chart's default values
// the configurations are the Go defaults (server.Options.Default,
// controllers.Options.Default) plus only the settings the chart makes on
// purpose, and no argument repeats a Go default, except the few in
// seedChartOwnedFlags whose value the chart's own objects use. Values an
// operator sets still reach the configuration.
func TestSeedChartDefaultsOnce(t *testing.T) {
	const callers = "networkPolicy:\n  apiServerCIDRs: [192.0.2.10/32]\n"
	// chart is what the chart sets on purpose with its default values.
	chart := func(w *server.Options, c *controllers.Options) {
		w.Mode = server.ModeSeed
		w.CertDir = "/certs"
		w.Seed.CachedSecrets = true
		c.Status.Enabled = true
		c.Credentials.Enabled = true
		c.Release.Enabled = true
		c.Release.RenderConfig = "/etc/clusterbackup/render-config.yaml"
		c.Rollout.Enabled = true
		c.LeaderElection = true
		c.LeaderElectionNamespace = "clusterbackup"
	}
	for name, tc := range map[string]struct {
		values string
		want   func(w *server.Options, c *controllers.Options)
	}{
		"chart defaults": {callers, chart},
		"drills on": {callers + "drills:\n  enabled: true\n", func(w *server.Options, c *controllers.Options) {
			chart(w, c)
			c.Drill.Enabled = true
			c.Drill.SigningKeyFile = "/etc/clusterbackup-drill/drill.key"
		}},
		"operator values": {callers + `check: {mode: warn, budget: 5s, denyCIDRs: [10.96.0.0/12], probeIsolation: true}
statusLoop: {period: 1m}
userClusters: {kubeconfigKey: kc, clusterNamespacePrefix: c-, timeout: 20s, maxBodyBytes: 2048, maxClients: 7}
credentialsLoop: {secretName: creds, key: file, veleroNamespace: backup, passwordSecretPrefix: pw-, clusterSecretPrefix: key-, resyncPeriod: 2m}
releaseLoop: {resyncPeriod: 3m, excludeSelector: manual=true, kkpTakeover: true, rollout: {canary: "5%", canarySelector: canary=true, batchSize: 3, deadline: 20m}}
drills: {enabled: true, signingKeyKey: k.pem, interval: 12h, maxConcurrent: 3, timeout: 10m, among: 2}
logVerbosity: 2
`, func(w *server.Options, c *controllers.Options) {
			chart(w, c)
			w.Seed.Mode = seed.ModeWarn
			w.Seed.Check.Budget.Duration, c.Check.Budget.Duration = 5*time.Second, 5*time.Second
			testenv.Must(t, w.Seed.Check.Policy.Deny.Set("10.96.0.0/12"))
			testenv.Must(t, c.Check.Policy.Deny.Set("10.96.0.0/12"))
			w.Seed.ProbeIsolation, c.ProbeIsolation = true, true
			c.Status.Period.Duration = time.Minute
			c.Users.SecretKey, c.Users.NamespacePrefix, c.Users.Timeout.Duration = "kc", "c-", 20*time.Second
			c.Users.MaxBodyBytes, c.Users.MaxClients = 2048, 7
			cr := &c.Credentials
			cr.CredentialsSecret, cr.CredentialsKey, cr.VeleroNamespace = "creds", "file", "backup"
			cr.PasswordSecretPrefix, cr.ClusterSecretPrefix, cr.ResyncPeriod.Duration = "pw-", "key-", 2*time.Minute
			c.Release.ResyncPeriod.Duration, c.Release.VeleroNamespace = 3*time.Minute, "backup"
			c.Release.ExcludeSelector, c.Release.KKPTakeover = "manual=true", true
			c.Rollout.Canary, c.Rollout.CanarySelector, c.Rollout.BatchSize, c.Rollout.Deadline.Duration = "5%", "canary=true", 3, 20*time.Minute
			d := &c.Drill
			d.Enabled, d.SigningKeyFile = true, "/etc/clusterbackup-drill/k.pem"
			d.Interval.Duration, d.MaxConcurrent, d.Timeout.Duration, d.Among = 12*time.Hour, 3, 10*time.Minute, 2
		}},
	} {
		t.Run(name, func(t *testing.T) {
			web, ctl := seedChartArgs(t, tc.values)
			var wantW server.Options
			var wantC controllers.Options
			wantW.Default()
			wantC.Default()
			tc.want(&wantW, &wantC)
			wantC.Default() // parses the selectors and canary set above

			gotW, fw, err := parseWebhookArgs(streams{Err: io.Discard}, web)
			if err != nil {
				t.Fatalf("the rendered webhook arguments do not parse: %v\n%q", err, web)
			}
			gotC, fc, err := parseControllersArgs(streams{Err: io.Discard}, ctl)
			if err != nil {
				t.Fatalf("the rendered controllers arguments do not parse: %v\n%q", err, ctl)
			}
			sameConfig(t, "webhook", wantW, gotW)
			sameConfig(t, "controllers", wantC, gotC)
			if wantV := map[bool]int{true: 2}[name == "operator values"]; fw.verbosity != wantV || fc.verbosity != wantV {
				t.Errorf("--v: webhook %d, controllers %d; want %d", fw.verbosity, fc.verbosity, wantV)
			}

			ownedFlagsPassed(t, seedChartOwnedFlags, web, ctl)
			repeatsNoDefault(t, "webhook", web, seedChartOwnedFlags, webhookFlagSet)
			repeatsNoDefault(t, "controllers", ctl, seedChartOwnedFlags, controllersFlagSet)
		})
	}
}

// seedChartArgs runs `helm template` on charts/clusterbackup-seed with
// values and returns the arguments of the webhook and the controllers
// containers after their subcommand.
func seedChartArgs(t *testing.T, values string) (web, ctl []string) {
	t.Helper()
	for _, d := range helmDeployments(t, renderer.SeedChartName, "clusterbackup", values) {
		a := d.Spec.Template.Spec.Containers[0].Args
		switch {
		case len(a) > 0 && a[0] == "webhook":
			web = a[1:]
		case len(a) > 0 && a[0] == "controllers":
			ctl = a[1:]
		}
	}
	if web == nil || ctl == nil {
		t.Fatalf("helm template rendered no webhook or no controllers Deployment (values %q)", values)
	}
	return web, ctl
}
