package userclient

import (
	"net/http"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// idleTimeout closes a user cluster's connection after this long unused
// (client-go's default is 90s). A cluster's reconciles are minutes apart
// (the loops' resync periods) and take a second or two; the health gates
// poll every few seconds. An open connection holds its TLS state, its
// HTTP/2 buffers and header tables (which fill with the paths of every
// kind a release applies) and a reading goroutine, ~100 KiB: with a
// thousand clusters most of the seed process's memory, for a TLS handshake
// saved per reconcile.
const idleTimeout = 15 * time.Second

// setIdleTimeout sets the idle timeout of the *http.Transport below rt's
// wrappers (HTTP/2 connections follow it); false when there is none.
func setIdleTimeout(rt http.RoundTripper, d time.Duration) bool {
	for rt != nil {
		switch t := rt.(type) {
		case *http.Transport:
			t.IdleConnTimeout = d
			return true
		case utilnet.RoundTripperWrapper:
			rt = t.WrappedRoundTripper()
		default:
			return false
		}
	}
	return false
}
