//go:build linux

package salesforce

import (
	"context"
	"net"
	"syscall"
)

// listenWorld opens the one REST listener of a World. One org listens on
// 127.0.0.1; more bind 0.0.0.0 to the loopback device, so every address of
// 127.0.0.0/8 reaches it and no other machine can (SO_BINDTODEVICE needs
// no privilege since Linux 5.7 on a socket not bound yet).
func listenWorld(orgs int, port string) (net.Listener, error) {
	if orgs == 1 {
		return net.Listen("tcp4", "127.0.0.1:"+port)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var bindErr error
		if err := c.Control(func(fd uintptr) {
			bindErr = syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, "lo")
		}); err != nil {
			return err
		}
		return bindErr
	}}
	return lc.Listen(context.Background(), "tcp4", "0.0.0.0:"+port)
}
