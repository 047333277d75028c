package main

import (
	"context"
	"errors"
)

// runCheck is a placeholder until the seed-side checker work lands.
func runCheck(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
