//go:build !webhookonly

package main

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/renderer"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// userChartOwnedFlags are the flags the user cluster chart's webhook
// Deployment passes although their value may equal the binary's default:
// the chart's own objects need the value, so it lives in values.yaml (or is
// the chart's own name for an object) and the flag is derived from it.
var userChartOwnedFlags = map[string]string{
	"mode":                    "the chart's webhook configurations call the user-mode paths: the Deployment states the mode they need",
	"port":                    "webhook.port: the webhook container port, the Service's and the NetworkPolicy's target",
	"health-addr":             "webhook.healthPort: the health container port the probes call",
	"metrics-addr":            "webhook.metricsPort: the metrics container port, the scrape annotation's and the NetworkPolicy's metrics port",
	"drain-period":            "webhook.drainPeriodSeconds: part of the Pod's terminationGracePeriodSeconds",
	"shutdown-timeout":        "webhook.shutdownTimeoutSeconds: part of the Pod's terminationGracePeriodSeconds",
	"velero-namespace":        "namespace: the release namespace the chart renders Velero, the managed BSL and the webhook into",
	"managed-bsl-name":        "bsl.name: the name of the managed BackupStorageLocation the chart renders",
	"credentials-secret-name": "credentials: the name of the credentials Secret the chart renders or references",
}

// userChartValues are the least the chart needs to render its webhook: the
// cluster and its storage, and the webhook turned on.
const userChartValues = `cluster: {id: c1, projectID: p1}
storage: {bucket: backups, prefix: kkp, config: {region: eu-central-1, s3Url: "https://s3.example.com"}}
`

// TestUserChartDefaultsOnce renders the user cluster chart
// (charts/velero-managed) with webhook.enabled and the real helm CLI, and
// loads the webhook container's arguments as the command does
// (parseWebhookArgs): the configuration is the Go default
// (server.Options.Default) plus only the settings the chart makes on
// purpose, no argument repeats a Go default except those in
// userChartOwnedFlags, and values an operator sets reach the configuration.
// The Pod agrees with that configuration: its container ports, probes and
// scrape annotation use the configured ports, and its grace period covers
// the preStop sleep, the drain period and the shutdown timeout.
func TestUserChartDefaultsOnce(t *testing.T) {
	// chart is what the chart sets on purpose for userChartValues.
	chart := func(o *server.Options) {
		o.Mode = server.ModeUser
		o.CertDir = "/certs"
		o.Velero.Managed = velerorules.Location{Bucket: "backups", Endpoint: "https://s3.example.com", Prefix: "kkp/p1/c1"}
	}
	for name, tc := range map[string]struct {
		values    string
		want      func(o *server.Options)
		verbosity int
		sleep     int64 // the preStop sleep, seconds
		grace     int64 // the Pod's grace period, seconds
	}{
		// The grace period the chart has always rendered: 30s (the
		// Kubernetes default the shutdown timeout fits under) + sleep + drain.
		"chart defaults": {userChartValues + "webhook: {enabled: true}\n", chart, 0, 5, 38},
		"operator values": {`cluster: {id: c1, projectID: p1}
storage: {bucket: backups, prefix: kkp, config: {region: eu-central-1}}
namespace: backup
bsl: {name: kkp-managed}
credentials: {existingSecret: creds}
previousLocations: [{name: old, bucket: old, prefix: kkp-old}]
webhook:
  enabled: true
  port: 8443
  healthPort: 9081
  metricsPort: 9080
  preStopSleepSeconds: 8
  drainPeriodSeconds: 10
  shutdownTimeoutSeconds: 40
  clientCA: {configMapName: api-server-client-ca}
  managedBSLEditors: [argo]
  managedBSLEditorGroups: [appliers]
  veleroOperators: [op]
  veleroOperatorGroups: [ops]
  allowOtherStorage: true
  backupTTL: 48h
  logVerbosity: 2
`, func(o *server.Options) {
			o.Mode, o.CertDir, o.ClientCAName = server.ModeUser, "/certs", "client-ca.crt"
			o.Port, o.HealthAddr, o.MetricsAddr = 8443, ":9081", ":9080"
			o.DrainPeriod.Duration, o.ShutdownTimeout.Duration = 10*time.Second, 40*time.Second
			v := &o.Velero
			v.Namespace, v.ManagedBSLName, v.CredentialsSecret = "backup", "kkp-managed", "creds"
			v.Managed = velerorules.Location{Bucket: "backups", Prefix: "kkp/p1/c1"}
			v.ManagedBSLEditors, v.ManagedBSLEditorGroups = []string{"argo"}, []string{"appliers"}
			v.VeleroOperators, v.VeleroOperatorGroups = []string{"op"}, []string{"ops"}
			v.AllowOtherStorage, v.BackupTTL.Duration = true, 48*time.Hour
			v.PreviousLocations = []velerorules.Location{{Bucket: "old", Prefix: "kkp-old/p1/c1"}}
		}, 2, 8, 8 + 10 + 40 + 5},
		// preStopSleepSeconds 0 drops the preStop hook and shortens the
		// grace period by as much.
		"no preStop sleep": {userChartValues + "webhook: {enabled: true, preStopSleepSeconds: 0}\n", chart, 0, 0, 33},
	} {
		t.Run(name, func(t *testing.T) {
			pod := userChartWebhookPod(t, tc.values)
			c := pod.Containers[0]
			if len(c.Args) == 0 || c.Args[0] != "webhook" {
				t.Fatalf("the webhook container does not run `webhook`: %q", c.Args)
			}
			args := c.Args[1:]
			var want server.Options
			want.Default()
			tc.want(&want)

			got, f, err := parseWebhookArgs(streams{Err: io.Discard}, args)
			if err != nil {
				t.Fatalf("the rendered webhook arguments do not parse: %v\n%q", err, args)
			}
			sameConfig(t, "webhook", want, got)
			if f.verbosity != tc.verbosity {
				t.Errorf("--v = %d, want %d", f.verbosity, tc.verbosity)
			}
			ownedFlagsPassed(t, userChartOwnedFlags, args)
			repeatsNoDefault(t, "webhook", args, userChartOwnedFlags, webhookFlagSet)
			podAgrees(t, pod, got, tc.sleep, tc.grace)
		})
	}
}

// podAgrees checks that the webhook Pod serves what its configuration o
// says: the container ports are o's, the probes call the health port, the
// scrape annotation names the metrics port, and the grace period (grace) is
// at least the preStop sleep (sleep) plus the drain period plus the shutdown
// timeout.
func podAgrees(t *testing.T, pod podWithAnnotations, o server.Options, sleep, grace int64) {
	t.Helper()
	c := pod.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for name, want := range map[string]int32{"webhook": int32(o.Port), "health": addrPort(t, o.HealthAddr), "metrics": addrPort(t, o.MetricsAddr)} {
		if ports[name] != want {
			t.Errorf("container port %q = %d, the configuration serves it on %d", name, ports[name], want)
		}
	}
	if got, want := pod.annotations["prometheus.io/port"], strconv.Itoa(int(ports["metrics"])); got != want {
		t.Errorf("prometheus.io/port = %q, want the metrics port %s", got, want)
	}
	for what, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "health" {
			t.Errorf("the %s probe does not call the health port: %+v", what, p)
		}
	}
	var gotSleep int64
	if lc := c.Lifecycle; lc != nil && lc.PreStop != nil && lc.PreStop.Sleep != nil {
		gotSleep = lc.PreStop.Sleep.Seconds
	}
	if gotSleep != sleep {
		t.Errorf("preStop sleep = %ds, want %ds", gotSleep, sleep)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != grace {
		t.Fatalf("terminationGracePeriodSeconds = %v, want %d", pod.TerminationGracePeriodSeconds, grace)
	}
	stop := time.Duration(gotSleep)*time.Second + o.DrainPeriod.Duration + o.ShutdownTimeout.Duration
	if time.Duration(grace)*time.Second < stop {
		t.Errorf("the grace period %ds is shorter than preStop sleep %ds + drain %s + shutdown %s: the kubelet kills in-flight reviews",
			grace, gotSleep, o.DrainPeriod, o.ShutdownTimeout)
	}
}

// podWithAnnotations is a Pod template's spec with its annotations.
type podWithAnnotations struct {
	corev1.PodSpec
	annotations map[string]string
}

// userChartWebhookPod renders charts/velero-managed with values and returns
// the webhook Deployment's Pod template.
func userChartWebhookPod(t *testing.T, values string) podWithAnnotations {
	t.Helper()
	var found []appsv1.Deployment
	for _, d := range helmDeployments(t, renderer.ChartName, "velero", values) {
		if d.Name == webhookName {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("helm template rendered %d webhook Deployments, want 1 (values %q)", len(found), values)
	}
	tpl := found[0].Spec.Template
	return podWithAnnotations{tpl.Spec, tpl.Annotations}
}

// addrPort is the port of a listen address such as ":8081".
func addrPort(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	testenv.Must(t, err)
	n, err := strconv.ParseInt(p, 10, 32)
	testenv.Must(t, err)
	return int32(n)
}
