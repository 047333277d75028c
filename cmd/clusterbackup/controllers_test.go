//go:build !webhookonly

package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"

	"github.com/clusterbackup/clusterbackup/controllers"
	"github.com/clusterbackup/clusterbackup/controllers/drill"
	"github.com/clusterbackup/clusterbackup/controllers/release"
	"github.com/clusterbackup/clusterbackup/controllers/rollout"
	"github.com/clusterbackup/clusterbackup/controllers/userclient"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
)

// TestControllersArgs: the controllers command's flags, leader election and
// every loop off by default.
func TestControllersArgs(t *testing.T) {
	co, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--leader-elect", "--leader-elect-namespace", "clusterbackup", "--cbsl-status-loop"})
	testenv.Must(t, err)
	if !co.LeaderElection || co.LeaderElectionID != controllers.DefaultLeaderElectionID || co.LeaderElectionNamespace != "clusterbackup" || !co.Status.Enabled {
		t.Fatalf("controllers flags: %+v", co)
	}
	co, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--leader-elect-namespace", "x"})
	testenv.Must(t, err)
	if co.LeaderElection || co.Status.Enabled || co.Credentials.Enabled || co.Fleet.Enabled {
		t.Fatal("--leader-elect and every loop must default to false")
	}
	if co.Release.KKPTakeover {
		t.Fatal("--release-kkp-takeover must default to false")
	}
	co, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--release-kkp-takeover"})
	testenv.Must(t, err)
	if !co.Release.KKPTakeover {
		t.Fatal("--release-kkp-takeover not parsed")
	}
	if _, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--cbsl-status-period", "10ms"}); err == nil {
		t.Fatal("a status period under 1s was accepted")
	}
}

// TestControllersDefaultsOnce: the controllers command's flags show the
// defaults of controllers.Options.Default, written once: parsing no
// arguments gives exactly the defaulted Options, every flag's shown default
// read back through the flag gives them again, and --help prints each
// non-zero default.
func TestControllersDefaultsOnce(t *testing.T) {
	var want controllers.Options
	want.Default()
	o, _, err := parseControllersArgs(streams{Err: io.Discard}, nil)
	testenv.Must(t, err)
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("flags without a file give\n%+v\nwant controllers.Options.Default's\n%+v", o, want)
	}

	var bound controllers.Options
	bound.Default()
	fs := flag.NewFlagSet("controllers", flag.ContinueOnError)
	bindControllersFlags(fs, &bound, &webhookFlags{})
	var args, shown []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.DefValue == "" {
			return
		}
		args = append(args, "--"+f.Name+"="+f.DefValue)
		if f.DefValue != "0" && f.DefValue != "false" {
			shown = append(shown, f.Name)
		}
	})
	if len(args) < 30 {
		t.Fatalf("only %d flags with a default: %v", len(args), args)
	}
	o, _, err = parseControllersArgs(streams{Err: io.Discard}, args)
	testenv.Must(t, err)
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("every flag set to its shown default gives\n%+v\nwant controllers.Options.Default's\n%+v", o, want)
	}

	var help bytes.Buffer
	_, _, _ = parseControllersArgs(streams{Err: &help}, []string{"--help"})
	for _, name := range shown {
		f := fs.Lookup(name)
		line := helpOf(help.String(), name)
		if !strings.Contains(line, "(default "+f.DefValue+")") && !strings.Contains(line, fmt.Sprintf("(default %q)", f.DefValue)) {
			t.Errorf("--help does not show -%s's default %s:\n%s", name, f.DefValue, line)
		}
	}
	for _, d := range []string{
		"(default " + process.DefaultShutdownTimeout.String() + ")", fmt.Sprintf("(default %q)", controllers.DefaultLeaderElectionID),
		"(default " + release.DefaultResyncPeriod.String() + ")", "(default " + drill.DefaultInterval.String() + ")",
		"(default " + userclient.DefaultTimeout.String() + ")", fmt.Sprintf("(default %d)", userclient.DefaultQPS),
		"(default " + s3check.DefaultBudget.String() + ")", "(default " + rollout.DefaultDeadline.String() + ")",
	} {
		if !strings.Contains(help.String(), d) {
			t.Errorf("--help lacks %s", d)
		}
	}
}

// helpOf returns the lines flag.PrintDefaults wrote for flag name.
func helpOf(help, name string) string {
	_, rest, ok := strings.Cut(help, "\n  -"+name+" ")
	if !ok {
		_, rest, ok = strings.Cut(help, "\n  -"+name+"\n")
	}
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n  -"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// TestControllersConfigFile: a --config file writes durations as Go's
// strings ("90s", "1h") or, as before, as nanoseconds, and both read the
// same; its values become the flags' defaults, which the command line
// overrides; a file with several broken settings is refused with every one
// of them named by its path, in one usage error.
func TestControllersConfigFile(t *testing.T) {
	const strs = `shutdownTimeout: 20s
check: {budget: 2s, cacheTTL: 1m, failureTTL: 5s}
status: {period: 90s}
credentials: {resyncPeriod: 1h}
fleet: {period: 10m}
release: {enabled: true, resyncPeriod: 90s, crdTimeout: 45s}
rollout: {enabled: true, deadline: 15m, poll: 2s}
drill: {interval: 12h, timeout: 20m, cleanupTimeout: 4m, tick: 30s, pollInterval: 1s}
users: {timeout: 15s, qps: 5}
`
	const nanos = `shutdownTimeout: 20000000000
check: {budget: 2000000000, cacheTTL: 60000000000, failureTTL: 5000000000}
status: {period: 90000000000}
credentials: {resyncPeriod: 3600000000000}
fleet: {period: 600000000000}
release: {enabled: true, resyncPeriod: 90000000000, crdTimeout: 45000000000}
rollout: {enabled: true, deadline: 900000000000, poll: 2000000000}
drill: {interval: 43200000000000, timeout: 1200000000000, cleanupTimeout: 240000000000, tick: 30000000000, pollInterval: 1000000000}
users: {timeout: 15000000000, qps: 5}
`
	fromStrings, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, strs)})
	testenv.Must(t, err)
	fromNanos, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, nanos)})
	testenv.Must(t, err)
	if !reflect.DeepEqual(fromStrings, fromNanos) {
		t.Fatalf("durations as strings read as\n%+v\nas nanoseconds as\n%+v", fromStrings, fromNanos)
	}
	o := fromStrings
	for name, d := range map[string][2]time.Duration{
		"shutdownTimeout":          {o.ShutdownTimeout.Duration, 20 * time.Second},
		"check.budget":             {o.Check.Budget.Duration, 2 * time.Second},
		"check.cacheTTL":           {o.Check.CacheTTL.Duration, time.Minute},
		"check.failureTTL":         {o.Check.FailureTTL.Duration, 5 * time.Second},
		"status.period":            {o.Status.Period.Duration, 90 * time.Second},
		"credentials.resyncPeriod": {o.Credentials.ResyncPeriod.Duration, time.Hour},
		"fleet.period":             {o.Fleet.Period.Duration, 10 * time.Minute},
		"release.resyncPeriod":     {o.Release.ResyncPeriod.Duration, 90 * time.Second},
		"release.crdTimeout":       {o.Release.CRDTimeout.Duration, 45 * time.Second},
		"rollout.deadline":         {o.Rollout.Deadline.Duration, 15 * time.Minute},
		"rollout.poll":             {o.Rollout.Poll.Duration, 2 * time.Second},
		"drill.interval":           {o.Drill.Interval.Duration, 12 * time.Hour},
		"drill.timeout":            {o.Drill.Timeout.Duration, 20 * time.Minute},
		"drill.cleanupTimeout":     {o.Drill.CleanupTimeout.Duration, 4 * time.Minute},
		"drill.tick":               {o.Drill.Tick.Duration, 30 * time.Second},
		"drill.pollInterval":       {o.Drill.PollInterval.Duration, time.Second},
		"users.timeout":            {o.Users.Timeout.Duration, 15 * time.Second},
	} {
		if d[0] != d[1] {
			t.Errorf("%s read as %v, want %v", name, d[0], d[1])
		}
	}
	if o.Users.QPS != 5 || !o.Release.Enabled || !o.Rollout.Enabled {
		t.Fatalf("config file read as %+v", o)
	}

	// The file's values are the flags' defaults; the command line wins.
	var help bytes.Buffer
	_, _, _ = parseControllersArgs(streams{Err: &help}, []string{"--config", writeTemp(t, strs), "--help"})
	if line := helpOf(help.String(), "release-resync-period"); !strings.Contains(line, "(default 1m30s)") {
		t.Errorf("--help with the file shows release-resync-period as %q, want the file's 1m30s", line)
	}
	o, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, strs), "--release-resync-period=2m"})
	testenv.Must(t, err)
	if o.Release.ResyncPeriod.Duration != 2*time.Minute || o.Credentials.ResyncPeriod.Duration != time.Hour {
		t.Fatalf("flag over file: release %v, credentials %v", o.Release.ResyncPeriod, o.Credentials.ResyncPeriod)
	}

	const bad = `shutdownTimeout: -1s
check: {budget: -2s}
status: {period: 10ms}
credentials: {resyncPeriod: 1ms, credentialsSecret: velero-repo-credentials}
fleet: {period: -1m}
release: {resyncPeriod: 1ms, excludeSelector: "a in (b"}
rollout: {enabled: true, canary: "0", poll: 1ms}
drill: {enabled: true, interval: 1s}
users: {timeout: -1s, secretName: Admin_Kubeconfig}
`
	_, _, err = parseControllersArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, bad)})
	if !errors.Is(err, errUsage) {
		t.Fatalf("a broken file: %v, want a usage error", err)
	}
	for _, path := range []string{
		"shutdownTimeout", "check.budget", "status.period", "credentials.resyncPeriod", "credentials.credentialsSecret", "fleet.period",
		"release.resyncPeriod", "release.excludeSelector", "rollout.enabled", "rollout.canary", "rollout.poll",
		"drill.signingKeyFile", "drill.interval", "users.timeout", "users.secretName",
	} {
		if !strings.Contains(err.Error(), path+": ") {
			t.Errorf("the error does not name %s:\n%v", path, err)
		}
	}
	if _, _, err := parseControllersArgs(streams{Err: io.Discard}, []string{"--config", writeTemp(t, "release: {resyncPeriod: 5 minutes}\n")}); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "5 minutes") {
		t.Fatalf("a duration that does not parse: %v", err)
	}
}
