package main

import (
	"context"
	"errors"
)

// runPolicy is a placeholder until the policy work lands.
func runPolicy(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
