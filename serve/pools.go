package serve

import (
	"fmt"
	"sync"

	"github.com/sfcdc/sfcdc/pubsub"
)

// Pools keeps one Pub/Sub connection pool per endpoint (and its transport
// settings), so the streams of every integration on this instance share a
// few connections. Safe for concurrent use; Close closes every pool.
type Pools struct {
	mu    sync.Mutex
	pools map[poolKey]*pubsub.Pool
}

type poolKey struct {
	endpoint, caFile string
	plaintext        bool
}

// For is the pool of cfg's endpoint, made at the first ask.
func (p *Pools) For(cfg pubsub.Config) (*pubsub.Pool, error) {
	key := poolKey{cfg.Endpoint, cfg.CAFile, cfg.Plaintext}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pool, ok := p.pools[key]; ok {
		return pool, nil
	}
	pool, err := pubsub.NewPool(cfg)
	if err != nil {
		return nil, fmt.Errorf("Pub/Sub pool for %s: %w", cfg.Endpoint, err)
	}
	if p.pools == nil {
		p.pools = map[poolKey]*pubsub.Pool{}
	}
	p.pools[key] = pool
	return pool, nil
}

// Streams is the number of streams on each connection of every pool.
func (p *Pools) Streams() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, pool := range p.pools {
		out = append(out, pool.Streams()...)
	}
	return out
}

// Close closes every pool; the integrations must have stopped.
func (p *Pools) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, pool := range p.pools {
		_ = pool.Close()
		delete(p.pools, k)
	}
	return nil
}
