package testenv

import (
	"net"
	"strconv"
)

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) { return FreePortOn("127.0.0.1") }

// FreePortOn returns a free TCP port on host, e.g. a node harness's NodeIP.
func FreePortOn(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns a free 127.0.0.1:port address for a server the test
// starts; the test fails when there is none.
func FreeAddr(t TB) string {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
