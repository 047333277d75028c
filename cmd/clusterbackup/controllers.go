//go:build !webhookonly

package main

import (
	"context"
	"fmt"

	"github.com/clusterbackup/clusterbackup/controllers"
)

// runControllers runs the seed's loops (package controllers) until ctx is
// cancelled: the Deployment apart from the seed webhooks.
func runControllers(ctx context.Context, s streams, args []string) error {
	o, f, err := parseControllersArgs(s, args)
	if err != nil {
		return err
	}
	setLogger(s, f.verbosity)
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := controllers.New(ctx, cfg, o)
	if err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	return nil
}

// parseControllersArgs parses and completes the options. With --config,
// the file is read first and becomes the flags' defaults.
func parseControllersArgs(s streams, args []string) (controllers.Options, webhookFlags, error) {
	var o controllers.Options
	var f webhookFlags
	if err := readConfigArg(args, &o); err != nil {
		return o, f, err
	}
	fs := newFlagSet(s, "controllers")
	fs.StringVar(&f.config, "config", "", "YAML config file with controllers.Options fields; flags override it")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the seed (default: in-cluster or $KUBECONFIG)")
	fs.IntVar(&f.verbosity, "v", 0, "log verbosity (0: state changes; 1: every reconcile)")
	o.AddFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return o, f, err
	}
	if fs.NArg() > 0 {
		return o, f, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if err := o.Complete(); err != nil {
		return o, f, fmt.Errorf("%w: %v", errUsage, err)
	}
	return o, f, nil
}
