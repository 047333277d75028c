package main

import (
	"context"
	"errors"
)

// runCMP is a placeholder until the GitOps work lands.
func runCMP(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
