package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// statePath is the record of the node run holding the machine-wide node
// lock, next to the lock file (/run/clusterbackup-node.lock). A record
// present when Start takes the lock is a run that died without its
// teardown (recover.go).
const statePath = "/run/clusterbackup-node.state.json"

// runRecord is what a node run creates on the host, written before each
// creation (after it for a process: its id is known only then), so a run
// killed at any point can be undone by the next one. What the components
// create themselves (KUBE-* chains, ipsets, pod mounts and network
// namespaces, cni0's contents) is not recorded: the teardown sweeps it by
// pattern.
type runRecord struct {
	// Owner is the id of the test process that ran the node.
	Owner int `json:"owner"`
	// Started is when the run took the lock.
	Started time.Time `json:"started"`
	// Dir is the run's state directory (Node.Dir).
	Dir string `json:"dir"`
	// Sock is containerd's socket, to kill the containers it still runs.
	Sock string `json:"sock"`
	// Procs are the processes the run started, in start order.
	Procs []recordedProc `json:"procs,omitempty"`
	// Net is the network's state before setupNetwork changed it; nil
	// until the network is set up.
	Net *netState `json:"net,omitempty"`
	// KubeletRoot is the kubelet's root directory, set before it is
	// bind-mounted; KubeletRootCreated says the run creates it.
	KubeletRoot        string `json:"kubeletRoot,omitempty"`
	KubeletRootCreated bool   `json:"kubeletRootCreated,omitempty"`
	// Images is the test process's image directory (imagesOnce, about
	// 100 MB), once built; it goes when Owner is gone.
	Images string `json:"images,omitempty"`
}

// recordedProc is one process a run started: its component name, its id
// and its command line (argv), which must still match before the id is
// signalled: an id is reused once its process is gone.
type recordedProc struct {
	Name    string   `json:"name"`
	PID     int      `json:"pid"`
	Cmdline []string `json:"cmdline"`
}

// recorder keeps a run's record in its state file, rewritten whole (to a
// temporary file renamed over it) on each change. A nil recorder records
// nothing.
type recorder struct {
	path string
	rec  runRecord
}

// newRecorder writes the first record of a run with state directory dir
// and containerd socket sock to path.
func newRecorder(path, dir, sock string) (*recorder, error) {
	r := &recorder{path: path, rec: runRecord{Owner: os.Getpid(), Started: time.Now().UTC(), Dir: dir, Sock: sock}}
	return r, r.save()
}

// proc records a started process.
func (r *recorder) proc(name string, pid int, cmdline []string) error {
	if r == nil {
		return nil
	}
	r.rec.Procs = append(r.rec.Procs, recordedProc{Name: name, PID: pid, Cmdline: cmdline})
	return r.save()
}

// network records the network's state before setupNetwork changes it.
func (r *recorder) network(s *netState) error {
	if r == nil {
		return nil
	}
	r.rec.Net = s
	return r.save()
}

// kubeletRoot records that root is about to be bind-mounted (and created
// first when created).
func (r *recorder) kubeletRoot(root string, created bool) error {
	if r == nil {
		return nil
	}
	r.rec.KubeletRoot, r.rec.KubeletRootCreated = root, created
	return r.save()
}

// images records the test process's image directory.
func (r *recorder) images(dir string) error {
	if r == nil {
		return nil
	}
	r.rec.Images = dir
	return r.save()
}

func (r *recorder) save() error {
	b, err := json.MarshalIndent(r.rec, "", "  ")
	if err != nil {
		return fmt.Errorf("node run record: %w", err)
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write the node run record: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("write the node run record: %w", err)
	}
	return nil
}

// remove deletes the record: the run left nothing behind.
func (r *recorder) remove() error {
	if r == nil {
		return nil
	}
	if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the node run record: %w", err)
	}
	return nil
}

// readRecord reads the record at path; ok is false when there is none.
func readRecord(path string) (rec runRecord, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read the node run record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("node run record %s is unreadable (%w): undo what it names by hand, then remove it", path, err)
	}
	if d := filepath.Clean(rec.Dir); !filepath.IsAbs(d) || d == "/" {
		return rec, false, fmt.Errorf("node run record %s: dir %q is not a run directory: undo what the record names by hand, then remove it", path, rec.Dir)
	}
	return rec, true, nil
}
