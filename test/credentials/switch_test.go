package credentials

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// switchProxy stands where the API server sends admission reviews and
// passes each TCP connection (TLS and all) on to the replica it currently
// routes to, so a test can choose which of two seed replicas answers
// reviews sent through the real kube-apiserver.
type switchProxy struct {
	ln       net.Listener
	mu       sync.Mutex
	target   string
	conns    map[net.Conn]struct{}
	accepted map[string]int
}

// startSwitch listens on listen and routes to target until the test ends.
func startSwitch(t *testing.T, listen, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	must(t, err)
	p := &switchProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, accepted: map[string]int{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.route("")
	})
	return p
}

// route sends new connections to target and closes the open ones, so the
// API server's next review dials again and reaches target.
func (p *switchProxy) route(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// connections is how many connections went to target so far.
func (p *switchProxy) connections(target string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted[target]
}

func (p *switchProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		out, err := net.Dial("tcp", target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		if p.target != target { // rerouted while dialling
			p.mu.Unlock()
			_, _ = in.Close(), out.Close()
			continue
		}
		p.accepted[target]++
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go pipe(in, out)
		go pipe(out, in)
	}
}

// pipe copies src to dst, then closes both.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}
