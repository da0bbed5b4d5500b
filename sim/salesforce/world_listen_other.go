//go:build !linux

package salesforce

import (
	"errors"
	"net"
)

// listenWorld opens the one REST listener of a World: one org listens on
// 127.0.0.1; more need every loopback address on one socket, which only
// the Linux build does (see World).
func listenWorld(orgs int, port string) (net.Listener, error) {
	if orgs == 1 {
		return net.Listen("tcp4", "127.0.0.1:"+port)
	}
	return nil, errors.New("a simulated world of more than one org needs Linux (one socket for every loopback address)")
}
