//go:build unix

package userclient

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// fifo makes a named pipe and returns its path and a func reporting whether
// anything opened it for reading: the test's writer blocks in open until a
// reader comes, so a file client-go read would show.
func fifo(t *testing.T) (path string, opened func() bool) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			_ = f.Close()
		}
	}()
	t.Cleanup(func() {
		// Release the writer with a reader of our own.
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-done
			_ = f.Close()
		}
	})
	return path, func() bool {
		select {
		case <-done:
			return true
		case <-time.After(25 * time.Millisecond):
			return false
		}
	}
}

// Every refused kubeconfig, stored in a Secret on the seed: For refuses it
// naming the Secret, key and field, quotes no credential, runs no command
// and opens no file.
func TestForRefusesUnsafeKubeconfigs(t *testing.T) {
	c := newClients(t, Options{})
	cases := refusedCases()
	names := slices.Sorted(maps.Keys(cases))
	for i, name := range names {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			id := fmt.Sprintf("refused-%d", i)
			file, opened := fifo(t)
			marker := filepath.Join(t.TempDir(), "exec-ran")
			cfg := baseKubeconfig()
			tc.mutate(cfg, file, marker)
			kc, err := clientcmd.Write(*cfg)
			if err != nil {
				t.Fatal(err)
			}
			putKubeconfig(t, id, kc)

			_, err = c.For(t.Context(), id)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			msg := err.Error()
			for _, want := range append(summaryFields(tc.want), "cluster-"+id+"/"+DefaultSecretName, `key "kubeconfig"`) {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not name %q: %s", want, msg)
				}
			}
			for _, s := range []string{secretToken, secretKey, secretPassword, "client.authentication.k8s.io", "touch"} {
				if strings.Contains(msg, s) {
					t.Errorf("error quotes the kubeconfig (%q): %s", s, msg)
				}
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Errorf("the exec command ran (marker: %v)", err)
			}
			if opened() {
				t.Error("a file named by the kubeconfig was opened")
			}
			if c.Len() != 0 {
				t.Errorf("a refused kubeconfig left a client (Len %d)", c.Len())
			}
		})
	}

	putKubeconfig(t, "refused-garbage", []byte("users: [\""+secretToken+"\n"))
	if _, err := c.For(t.Context(), "refused-garbage"); !errors.Is(err, ErrRefused) || strings.Contains(err.Error(), secretToken) {
		t.Fatalf("unparsable kubeconfig: err = %v, want ErrRefused without the contents", err)
	}
}
