package main

import "strings"

// listFlag is the one repeatable string flag of every command: each use
// appends to *p, and the first use on the command line replaces what *p
// held before (a list read from a config file).
type listFlag struct {
	p   *[]string
	set bool
}

// listOf returns a listFlag that fills *p.
func listOf(p *[]string) *listFlag { return &listFlag{p: p} }

// String implements flag.Value.
func (l *listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

// Set implements flag.Value.
func (l *listFlag) Set(v string) error {
	if !l.set {
		*l.p, l.set = nil, true
	}
	*l.p = append(*l.p, v)
	return nil
}
