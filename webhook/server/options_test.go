package server_test

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
	"github.com/clusterbackup/clusterbackup/webhook/server"
)

// TestOptionsDefaultAndValidate: Default fills exactly the documented
// defaults and keeps what is set (an explicit drainPeriod of 0 included);
// Validate reports every broken setting at once, by its path in the
// configuration file, for the server and the mode's configuration.
func TestOptionsDefaultAndValidate(t *testing.T) {
	var o server.Options
	o.Default()
	if o.Mode != server.ModeUser || o.Port != server.DefaultPort || o.HealthAddr != process.DefaultHealthAddr || o.MetricsAddr != process.DefaultMetricsAddr ||
		o.ShutdownTimeout.Duration != process.DefaultShutdownTimeout || o.DrainPeriod == nil || o.DrainPeriod.Duration != server.DefaultDrainPeriod ||
		o.Velero.Namespace != velerorules.DefaultNamespace || o.Velero.BackupTTL.Duration != velerorules.DefaultBackupTTL || o.Seed.CBSLNamespace == "" {
		t.Fatalf("defaults: %+v", o)
	}
	set := server.Options{Port: 8443, DrainPeriod: new(duration.Duration), Serving: process.Serving{ShutdownTimeout: duration.Of(time.Second)}}
	set.Default()
	if set.Port != 8443 || set.DrainPeriod.Duration != 0 || set.ShutdownTimeout.Duration != time.Second {
		t.Fatalf("Default overwrote set values: %+v", set)
	}

	for name, tc := range map[string]struct {
		o    server.Options
		want field.ErrorList
	}{
		"valid user mode": {o: server.Options{CertDir: "/certs", Velero: velerorules.Config{Managed: velerorules.Location{Bucket: "b", Prefix: "p/c"}}}},
		"valid seed mode": {o: server.Options{CertDir: "/certs", Mode: server.ModeSeed}},
		"everything broken": {
			o: server.Options{Port: 70000, ClientCAName: "../ca.crt", Serving: process.Serving{ShutdownTimeout: duration.Of(-time.Second)}, DrainPeriod: &duration.Duration{Duration: -time.Second},
				Velero: velerorules.Config{Managed: velerorules.Location{Prefix: "a//b"}}},
			want: field.ErrorList{
				field.Required(field.NewPath("certDir"), ""),
				field.Invalid(field.NewPath("clientCAName"), "../ca.crt", ""),
				field.Invalid(field.NewPath("port"), 70000, ""),
				field.Invalid(field.NewPath("shutdownTimeout"), "-1s", ""),
				field.Invalid(field.NewPath("drainPeriod"), "-1s", ""),
				field.Required(field.NewPath("velero", "managed", "bucket"), ""),
				field.Invalid(field.NewPath("velero", "managed", "prefix"), "a//b", ""),
			},
		},
		"unknown mode":      {o: server.Options{CertDir: "/certs", Mode: "both"}, want: field.ErrorList{field.NotSupported(field.NewPath("mode"), "both", []string{server.ModeUser, server.ModeSeed})}},
		"unknown seed mode": {o: server.Options{CertDir: "/certs", Mode: server.ModeSeed, Seed: seed.Options{Mode: "deny"}}, want: field.ErrorList{field.NotSupported(field.NewPath("seed", "mode"), "deny", []string{"enforce", "warn"})}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.o.Default()
			got := tc.o.Validate()
			if len(got) != len(tc.want) {
				t.Fatalf("errors %v\nwant %v", got, tc.want)
			}
			for i := range got {
				if got[i].Type != tc.want[i].Type || got[i].Field != tc.want[i].Field || got[i].BadValue != tc.want[i].BadValue && tc.want[i].Type != field.ErrorTypeNotSupported {
					t.Fatalf("error %d: %v, want %s at %s", i, got[i], tc.want[i].Type, tc.want[i].Field)
				}
			}
			if err := tc.o.Complete(); (err != nil) != (len(tc.want) > 0) {
				t.Fatalf("Complete: %v", err)
			}
		})
	}
}
