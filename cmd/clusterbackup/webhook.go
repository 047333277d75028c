package main

import (
	"context"
	"errors"
)

// runWebhook is a placeholder until the webhook work lands.
func runWebhook(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
