//go:build !webhookonly

package main

import (
	"context"
	"flag"
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

// bindControllersFlags binds every option of the controllers command to fs.
// o must be defaulted (controllers.Options.Default): each flag's default is
// the field's value, so the defaults are written once, in package
// controllers and its loops, and a --config file's values show as the
// flags' defaults.
func bindControllersFlags(fs *flag.FlagSet, o *controllers.Options, f *webhookFlags) {
	fs.StringVar(&f.config, "config", "", "YAML config file with controllers.Options fields (cbslNamespace, shutdownTimeout: 25s, release: {enabled: true, resyncPeriod: 5m}, ...); flags override it")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the seed (default: in-cluster or $KUBECONFIG)")
	fs.IntVar(&f.verbosity, "v", 0, "log verbosity (0: state changes; 1: every reconcile)")
	o.AddFlags(fs)
}

// parseControllersArgs parses the flags and completes the options. With
// --config, the file is read first; then the defaults fill what it leaves
// unset (controllers.Options.Default), and that configuration gives the
// flags' defaults, so flags on the command line override the file and the
// file the defaults. The result is validated once (Complete), every broken
// setting named in one error.
func parseControllersArgs(s streams, args []string) (controllers.Options, webhookFlags, error) {
	var o controllers.Options
	var f webhookFlags
	if err := readConfigArg(args, &o); err != nil {
		return o, f, err
	}
	o.Default()
	fs := newFlagSet(s, "controllers")
	bindControllersFlags(fs, &o, &f)
	if err := parseFlags(fs, args); err != nil {
		return o, f, err
	}
	if err := o.Complete(); err != nil {
		return o, f, fmt.Errorf("%w: %w", errUsage, err)
	}
	return o, f, nil
}
