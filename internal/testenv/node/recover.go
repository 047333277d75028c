package node

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// recoverDeadRun undoes what a dead node run left, as its record at path
// names it; the caller holds the node lock, so the run that wrote the
// record is gone (a test binary killed, timed out or crashed before its
// teardown). It takes the run's processes over (only those whose command
// line still matches the record) and tears the run down with Stop, the
// code a clean run ends with: processes, containers, mounts under the
// kubelet root and the run's directory, the network (and what kube-proxy,
// the kubelet, the CNI plugin and the NetworkPolicy enforcer created,
// swept by pattern), the run's directory, and the images its test process
// built once that process is gone. paths are the node components'
// (nodePrereqs). It returns one line saying what it removed, empty when
// there was no record; on a failure the record stays for the next try.
func recoverDeadRun(path string, paths map[string]string) (string, error) {
	rec, ok, err := readRecord(path)
	if err != nil || !ok {
		return "", err
	}
	start := time.Now()
	n := &Node{Dir: rec.Dir, paths: paths, procs: map[string]*proc{}, sock: rec.Sock, net: rec.Net,
		kubeletRoot: rec.KubeletRoot, mounted: rec.KubeletRoot != "", createdKD: rec.KubeletRootCreated,
		rec: &recorder{path: path, rec: rec}}
	var killed, spared []string
	for _, rp := range rec.Procs {
		p, ok := adoptProc(rec.Dir, rp.Name, rp.PID, rp.Cmdline)
		if !ok {
			if pathExists(fmt.Sprintf("/proc/%d", rp.PID)) {
				spared = append(spared, fmt.Sprintf("%s's id %d (now another program)", rp.Name, rp.PID))
			}
			continue
		}
		n.procs[rp.Name] = p
		n.order = append(n.order, rp.Name)
		killed = append(killed, fmt.Sprintf("%s %d", rp.Name, rp.PID))
	}
	var mounts []string
	if n.mounted {
		mounts = append(mounts, mountsUnder(n.kubeletRoot)...)
	}
	mounts = append(mounts, mountsUnder(n.Dir)...)
	if errs := n.Stop(); len(errs) > 0 {
		return "", fmt.Errorf("a dead node run (process %d, started %s) left what its teardown could not remove (record %s): %w",
			rec.Owner, rec.Started.Format("2006-01-02 15:04:05Z"), path, errors.Join(errs...))
	}
	what := []string{fmt.Sprintf("processes [%s]", strings.Join(killed, ", ")), fmt.Sprintf("%d mounts", len(mounts))}
	if rec.Net != nil {
		what = append(what, "the network (lo address, bridge, FORWARD rule, KUBE-* chains, ipsets, pod namespaces, sysctls put back)")
	}
	if !pathExists(rec.Dir) {
		what = append(what, "directory "+rec.Dir)
	}
	// The images are the test process's: they stay while it lives (a
	// Stop that failed keeps the record, and its process goes on).
	if rec.Images != "" && pathExists(rec.Images) && !pathExists(fmt.Sprintf("/proc/%d", rec.Owner)) {
		if err := os.RemoveAll(rec.Images); err != nil {
			return "", fmt.Errorf("remove the images of a dead node run: %w", err)
		}
		what = append(what, "images "+rec.Images)
	}
	line := fmt.Sprintf("node: removed in %s what a dead run (process %d, started %s) left: %s",
		time.Since(start).Round(10*time.Millisecond), rec.Owner, rec.Started.Format("2006-01-02 15:04:05Z"), strings.Join(what, "; "))
	if len(spared) > 0 {
		line += "; left alone " + strings.Join(spared, ", ")
	}
	return line, nil
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
