// Command clusterbackup renders managed Velero releases for KKP user clusters
// and serves the admission webhook that keeps tenants apart. One binary,
// subcommands; this file is wiring only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// streams are a command's standard streams and environment, injectable for tests.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
	Getenv   func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, s streams, args []string) error
}

// errUsage marks a command-line mistake; main exits 2 for it.
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, s streams, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Err)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, s, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(s.Err, "clusterbackup %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(s.Err, "clusterbackup %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(s.Err, "clusterbackup: unknown command %q\n\n", args[0])
	usage(s.Err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: clusterbackup <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'clusterbackup <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(s streams, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("clusterbackup "+name, flag.ContinueOnError)
	fs.SetOutput(s.Err)
	return fs
}

// parseFlags parses args into fs for a command that takes flags only, as
// every command but `drill verify` does: a bad flag or a positional
// argument is a usage error (naming -f where the command reads its inputs
// with it).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return nil
	case fs.Lookup("f") != nil:
		return fmt.Errorf("%w: unexpected arguments %q (give inputs with -f)", errUsage, fs.Args())
	default:
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
}

// parseFlagsAndArgs parses args into fs for a command that also takes
// positional arguments (fs.Args()); a bad flag is a usage error.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
