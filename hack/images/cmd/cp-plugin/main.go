// Command cp-plugin copies a Velero plugin binary into the volume the Velero
// server loads plugins from: `cp-plugin SRC DST`. It is the entrypoint of the
// velero-plugin-for-aws image's init container, as in the upstream image.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cp-plugin SRC DST")
		os.Exit(2)
	}
	if err := copyFile(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "cp-plugin:", err)
		os.Exit(1)
	}
}

// copyFile writes src to dst (mode 0755) through a temporary file renamed
// into place, so the server never loads a half-written plugin.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
