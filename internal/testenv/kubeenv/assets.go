package kubeenv

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/clusterbackup/clusterbackup/internal/testenv"
)

var assetsOnce sync.Once

// envtestAssets returns a directory holding kube-apiserver and etcd, as
// envtest's BinaryAssetsDirectory expects, made of links into the cache.
func envtestAssets() (string, error) {
	api, err := testenv.Tool("kube-apiserver")
	if err != nil {
		return "", err
	}
	etcd, err := testenv.Tool("etcd")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(testenv.CacheDir(), "envtest-"+testenv.Versions["kube-apiserver"]+"-etcd-"+testenv.Versions["etcd"])
	var linkErr error
	assetsOnce.Do(func() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			linkErr = err
			return
		}
		for name, target := range map[string]string{"kube-apiserver": api, "etcd": etcd} {
			link := filepath.Join(dir, name)
			if cur, err := os.Readlink(link); err == nil && cur == target {
				continue
			}
			tmp := link + ".tmp"
			_ = os.Remove(tmp)
			if err := os.Symlink(target, tmp); err != nil {
				linkErr = err
				return
			}
			if err := os.Rename(tmp, link); err != nil {
				linkErr = err
				return
			}
		}
	})
	return dir, linkErr
}
