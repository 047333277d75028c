package main

import (
	"context"
	"errors"
)

// runDownload is a placeholder until the download work lands.
func runDownload(_ context.Context, _ streams, _ []string) error {
	return errors.New("not implemented yet")
}
