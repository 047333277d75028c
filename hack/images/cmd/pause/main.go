// Command pause is the pod sandbox's process: it holds the pod's namespaces
// open and exits on SIGINT or SIGTERM. Built static for the node harness's
// pause image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
}
