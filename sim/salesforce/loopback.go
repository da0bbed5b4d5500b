package salesforce

import (
	"errors"
	"fmt"
	"net"
)

// ErrPlaintextOffLoopback is returned when plaintext is asked for on an
// address other machines could reach: the demo credentials and the events
// would cross the network unencrypted.
var ErrPlaintextOffLoopback = errors.New("plaintext is served on loopback addresses only")

// CheckPlaintextAddr accepts a host:port that only this machine can reach:
// an IP in 127.0.0.0/8, ::1, or the name localhost. An empty host (every
// interface), another IP or any other name is refused with
// ErrPlaintextOffLoopback.
func CheckPlaintextAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q is not a loopback address (use 127.0.0.1:<port>, [::1]:<port> or localhost:<port>, or serve TLS)", ErrPlaintextOffLoopback, addr)
}

// listen opens a TCP listener on addr; for plaintext it refuses addresses
// off loopback, and also a name that resolved to one.
func listen(addr string, plaintext bool) (net.Listener, error) {
	if plaintext {
		if err := CheckPlaintextAddr(addr); err != nil {
			return nil, err
		}
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := lis.Addr().(*net.TCPAddr); plaintext && (!ok || !tcp.IP.IsLoopback()) {
		_ = lis.Close()
		return nil, fmt.Errorf("%w: %q resolved to %s", ErrPlaintextOffLoopback, addr, lis.Addr())
	}
	return lis, nil
}
