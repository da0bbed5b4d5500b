package salesforce

import (
	"context"
	"net"
	"sync"

	"google.golang.org/grpc/peer"
)

// connTracker remembers the live connections of a listener so the fault
// injector can reset the TCP connection under a given stream.
type connTracker struct {
	net.Listener

	mu    sync.Mutex
	conns map[string]net.Conn // by remote address
}

func trackConns(l net.Listener) *connTracker {
	return &connTracker{Listener: l, conns: map[string]net.Conn{}}
}

// Accept registers each accepted connection.
func (t *connTracker) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.conns[c.RemoteAddr().String()] = c
	t.mu.Unlock()
	return c, nil
}

// resetPeer closes the connection that carries the call in ctx.
func (t *connTracker) resetPeer(ctx context.Context) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return
	}
	t.mu.Lock()
	c := t.conns[p.Addr.String()]
	delete(t.conns, p.Addr.String())
	t.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// resetAll closes every connection, as a network outage would.
func (t *connTracker) resetAll() {
	t.mu.Lock()
	conns := t.conns
	t.conns = map[string]net.Conn{}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}
