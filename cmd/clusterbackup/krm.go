package main

import (
	"context"
	"errors"
)

// runKRM is a placeholder until the GitOps work lands.
func runKRM(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
