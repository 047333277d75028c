package main

import (
	"context"
	"errors"
)

// runRender is a placeholder until the renderer work lands.
func runRender(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
