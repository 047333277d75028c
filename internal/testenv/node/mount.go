package node

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

// KubeletRootDir is the kubelet's root directory. It is fixed because the
// rendered node-agent mounts /var/lib/kubelet/pods from the host; the harness
// bind-mounts its temp directory there, so the state still lives in the temp
// directory and nothing is left behind.
const KubeletRootDir = "/var/lib/kubelet"

// mountKubeletDir bind-mounts src onto root (KubeletRootDir) and makes it
// rshared, so volume mounts the kubelet makes propagate into the
// node-agent's /host_pods (the container's / is private). It passes root and
// whether it will create it to record before changing anything, and reports
// whether it created the mount point.
func mountKubeletDir(src, root string, record func(root string, created bool) error) (created bool, err error) {
	if under := mountsUnder(root); len(under) > 0 {
		return false, fmt.Errorf("%s is already mounted (%s) and no dead node run recorded it (%s): another program uses it, or an older harness left it (unmount it by hand)", root, strings.Join(under, ", "), statePath)
	}
	_, statErr := os.Stat(root)
	create := os.IsNotExist(statErr)
	if err := record(root, create); err != nil {
		return false, err
	}
	if create {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return false, err
		}
		created = true
	}
	if err := syscall.Mount(src, root, "", syscall.MS_BIND, ""); err != nil {
		return created, fmt.Errorf("bind-mount %s on %s: %w", src, root, err)
	}
	if err := syscall.Mount("", root, "", syscall.MS_SHARED|syscall.MS_REC, ""); err != nil {
		return created, fmt.Errorf("make %s rshared: %w", root, err)
	}
	return created, nil
}

// unmountUnder detaches every mount at or below each dir, deepest first,
// until none is left; it returns the mounts it could not remove.
func unmountUnder(dirs ...string) error {
	for range 5 {
		var all []string
		for _, d := range dirs {
			all = append(all, mountsUnder(d)...)
		}
		if len(all) == 0 {
			return nil
		}
		sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
		for _, m := range all {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	var left []string
	for _, d := range dirs {
		left = append(left, mountsUnder(d)...)
	}
	if len(left) > 0 {
		return fmt.Errorf("still mounted: %s", strings.Join(left, ", "))
	}
	return nil
}

// mountsUnder lists the mount points at or below dir (from
// /proc/self/mountinfo), one entry per mount.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, strings.TrimSuffix(dir, "/")+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// unescapeMount decodes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
