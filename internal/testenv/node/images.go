package node

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

// Image is one image built by hack/images (see its images.json).
type Image struct {
	// Name is the short name: clusterbackup, velero, velero-plugin-for-aws, pause.
	Name string `json:"name"`
	// Ref is the full reference, as the chart renders it with --registry.
	Ref string `json:"ref"`
	// File is the docker-archive tarball's name in the output directory.
	File string `json:"file"`
	// Digest is the manifest digest.
	Digest string `json:"digest"`
}

// BuildImages runs hack/images (its own Go module) for registry into out:
// the clusterbackup image from this checkout, and the Velero, AWS plugin and
// pause images from the tool cache's binaries. A missing tool fails with the
// command that builds it.
func BuildImages(registry, out string) (map[string]Image, error) {
	args := []string{"run", ".", "-registry", registry, "-out", out}
	for _, n := range []string{"velero", "velero-restore-helper", "velero-plugin-for-aws"} {
		p, err := testenv.Tool(n)
		if err != nil {
			return nil, err
		}
		args = append(args, "-"+n, p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(testenv.RepoRoot(), "hack", "images")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build images (cd hack/images && go %v): %w\n%s", args, err, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "images.json"))
	if err != nil {
		return nil, err
	}
	var list []Image
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("images.json: %w", err)
	}
	m := map[string]Image{}
	for _, im := range list {
		m[im.Name] = im
	}
	return m, nil
}

// builtImages caches BuildImages per registry for the test process: the
// images only depend on this checkout and the tool cache, so every node of
// one `go test` run imports the same tarballs.
var builtImages struct {
	sync.Mutex
	dirs map[string]string
	m    map[string]map[string]Image
}

// imagesOnce is BuildImages into a process-wide directory, once per registry.
// It returns that directory and the images.
func imagesOnce(registry string) (string, map[string]Image, error) {
	builtImages.Lock()
	defer builtImages.Unlock()
	if d, ok := builtImages.dirs[registry]; ok {
		return d, builtImages.m[registry], nil
	}
	d, err := os.MkdirTemp("", "cbnode-images-")
	if err != nil {
		return "", nil, err
	}
	m, err := BuildImages(registry, d)
	if err != nil {
		_ = os.RemoveAll(d)
		return "", nil, err
	}
	if builtImages.dirs == nil {
		builtImages.dirs, builtImages.m = map[string]string{}, map[string]map[string]Image{}
	}
	builtImages.dirs[registry], builtImages.m[registry] = d, m
	return d, m, nil
}

// RemoveBuiltImages deletes the image tarballs Start built for this
// process; call it from TestMain after the tests ran.
func RemoveBuiltImages() {
	builtImages.Lock()
	defer builtImages.Unlock()
	for _, d := range builtImages.dirs {
		_ = os.RemoveAll(d)
	}
	builtImages.dirs, builtImages.m = nil, nil
}
