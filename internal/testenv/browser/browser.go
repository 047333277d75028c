package browser

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Install is the command that installs the headless browser the HTML
// tests use (Debian's chromium).
const Install = "make browser-deps (apt-get install -y chromium)"

// Browser is Debian's chromium run headless, offline, with a throw-away
// profile: --headless --no-sandbox --disable-gpu
// --disable-background-networking --disable-extensions --no-first-run.
type Browser struct {
	bin string
	t   testenv.TB
}

// Start finds chromium; when it is missing the test fails with the
// command that installs it (never skips).
func Start(t testenv.TB) *Browser {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return &Browser{bin: p, t: t}
		}
	}
	t.Fatalf("testenv: chromium is not installed; run %s", Install)
	return nil
}

func (b *Browser) run(args ...string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-extensions", "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + b.t.TempDir()}
	cmd := exec.CommandContext(ctx, b.bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+b.t.TempDir())
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, testenv.Tail(errb.String(), 30))
	}
	return out.Bytes()
}

// fileURL returns the file: URL of path with an optional fragment.
func fileURL(path, fragment string) string {
	abs, _ := filepath.Abs(path)
	u := url.URL{Scheme: "file", Path: abs, Fragment: fragment}
	return u.String()
}

// DumpDOM loads the file (with #fragment when not empty), lets its scripts
// run and returns the serialized DOM.
func (b *Browser) DumpDOM(file, fragment string) string {
	b.t.Helper()
	return string(b.run("--dump-dom", "--virtual-time-budget=2000", fileURL(file, fragment)))
}

// Screenshot loads the file at 1280x900 and writes a PNG to out.
func (b *Browser) Screenshot(file, out string) {
	b.t.Helper()
	b.run("--screenshot="+out, "--window-size=1280,900", "--hide-scrollbars", fileURL(file, ""))
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		b.t.Fatalf("chromium wrote no screenshot to %s: %v", out, err)
	}
}
