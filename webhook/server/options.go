package server

import (
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/clusterbackup/clusterbackup/internal/duration"
	"github.com/clusterbackup/clusterbackup/internal/process"
	"github.com/clusterbackup/clusterbackup/internal/velerorules"
	"github.com/clusterbackup/clusterbackup/webhook/seed"
)

// Modes the server runs in.
const (
	ModeUser = "user"
	ModeSeed = "seed"
)

// Defaults of Options, set by Options.Default (the one place they are
// written: the webhook command binds its flags to the defaulted Options).
const (
	DefaultMode        = ModeUser
	DefaultPort        = 9443
	DefaultDrainPeriod = 3 * time.Second
)

// Options configure the webhook server: the typed configuration of
// `clusterbackup webhook` (its --config file, its flags). Zero values take
// the defaults named on each field (Default).
type Options struct {
	// Mode is ModeUser (Velero objects in a user cluster) or ModeSeed
	// (CBSLs and Clusters in the seed). Default ModeUser.
	Mode string `json:"mode,omitempty"`
	// Host is the address the webhook server listens on. Default "" (all).
	Host string `json:"host,omitempty"`
	// Port is the webhook server's port. Default 9443.
	Port int `json:"port,omitempty"`
	// CertDir holds tls.crt and tls.key; both are reloaded when they change.
	// Required.
	CertDir string `json:"certDir,omitempty"`
	// ClientCAName is a file in CertDir with the PEM CA that signs the API
	// server's client certificate (the kube-apiserver presents one when its
	// --admission-control-config-file names a WebhookAdmissionConfiguration
	// kubeConfigFile for this webhook). When set, every caller must present a
	// certificate signed by it, or the TLS handshake fails: only the API
	// server can send reviews. The file is read at start; restart to rotate
	// the CA. Default "" (no client authentication).
	ClientCAName string `json:"clientCAName,omitempty"`
	// EnableHTTP2 lets the webhook server speak HTTP/2. Default false:
	// HTTP/1.1 costs less per review (the API server sends one review per
	// request and reuses connections) and keeps HTTP/2's rapid-reset class
	// of attacks (CVE-2023-44487) away from a failurePolicy=Fail webhook.
	EnableHTTP2 bool `json:"enableHTTP2,omitempty"`
	// Serving holds the health, metrics and pprof addresses and the shutdown
	// timeout (how long in-flight reviews may finish after a stop signal),
	// at the top level of the configuration file.
	process.Serving
	// DrainPeriod is how long the server keeps answering after a stop signal,
	// closing each connection after its answer, before it shuts down: the
	// API server then sends its next reviews over new connections, to a
	// replica that is not stopping, instead of racing the close of an idle
	// one. It counts towards the Pod's grace period together with
	// ShutdownTimeout. Default (nil) 3s; "0s" stops at once (tests).
	DrainPeriod *duration.Duration `json:"drainPeriod,omitempty"`
	// Velero configures the user-mode rules.
	Velero velerorules.Config `json:"velero,omitempty"`
	// Seed configures seed mode.
	Seed seed.Options `json:"seed,omitempty"`
}

// Default fills every unset field that has a fixed default, of the server
// and of both modes' configurations (velerorules.Config.Default,
// seed.Options.Default). Fields set already, e.g. from a --config file,
// stay. Default is idempotent.
func (o *Options) Default() {
	if o.Mode == "" {
		o.Mode = DefaultMode
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	o.Serving.Default()
	if o.DrainPeriod == nil {
		d := duration.Of(DefaultDrainPeriod)
		o.DrainPeriod = &d
	}
	o.Velero.Default()
	o.Seed.Default()
}

// Validate checks defaulted options and returns every broken setting,
// named by its path in the configuration file: the server's, and the
// configuration of the mode it runs in.
func (o *Options) Validate() field.ErrorList {
	var errs field.ErrorList
	if o.CertDir == "" {
		errs = append(errs, field.Required(field.NewPath("certDir"), "a certificate directory (tls.crt, tls.key) is required"))
	}
	if o.ClientCAName != "" && (filepath.IsAbs(o.ClientCAName) || !filepath.IsLocal(o.ClientCAName)) {
		errs = append(errs, field.Invalid(field.NewPath("clientCAName"), o.ClientCAName, "must name a file inside the certificate directory "+o.CertDir))
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, field.Invalid(field.NewPath("port"), o.Port, "must be a port number from 1 to 65535"))
	}
	errs = append(errs, o.Serving.Validate(nil)...)
	if o.DrainPeriod != nil && o.DrainPeriod.Duration < 0 {
		errs = append(errs, field.Invalid(field.NewPath("drainPeriod"), o.DrainPeriod.String(), "must not be negative"))
	}
	switch o.Mode {
	case ModeUser:
		errs = append(errs, o.Velero.Validate(field.NewPath("velero"))...)
	case ModeSeed:
		errs = append(errs, o.Seed.Validate(field.NewPath("seed"))...)
	default:
		errs = append(errs, field.NotSupported(field.NewPath("mode"), o.Mode, []string{ModeUser, ModeSeed}))
	}
	return errs
}

// Complete applies the defaults (Default), validates once (Validate) and
// completes the mode's configuration (velerorules.Config.Complete derives the
// Velero user and normalizes the prefix); New calls it.
func (o *Options) Complete() error {
	o.Default()
	if errs := o.Validate(); len(errs) > 0 {
		return fmt.Errorf("invalid webhook configuration: %w", errs.ToAggregate())
	}
	if o.Mode == ModeUser {
		return o.Velero.Complete()
	}
	return nil
}
