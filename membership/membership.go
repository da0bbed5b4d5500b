package membership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// DefaultTTL is how long a heartbeat keeps an instance live.
const DefaultTTL = 15 * time.Second

// Config is one instance's membership.
type Config struct {
	// Instance names this instance; unique in the deployment.
	Instance string
	// TTL is how long one heartbeat counts; heartbeats go every TTL/3.
	// 0 means DefaultTTL.
	TTL time.Duration
	// Store keeps the heartbeats (Redis for several instances).
	Store replay.MemberStore
	// Logger hears about missed heartbeats and view changes; nil discards.
	Logger *slog.Logger
}

// Membership is this instance's view of the live set, kept current by Run.
type Membership struct {
	cfg Config

	mu       sync.Mutex
	live     []string
	lastBeat time.Time // monotonic: when the last heartbeat was stored
	changed  chan struct{}
}

// Join stores the first heartbeat and reads the live set, so the view is
// complete before Run starts; it fails when the store does not answer.
func Join(ctx context.Context, cfg Config) (*Membership, error) {
	if cfg.Instance == "" {
		return nil, errors.New("join: no instance name: give each instance its own (serve's instance: or --instance)")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Membership{cfg: cfg, changed: make(chan struct{})}
	if err := m.beat(ctx); err != nil {
		return nil, fmt.Errorf("join as %s: %w", cfg.Instance, err)
	}
	return m, nil
}

// Run heartbeats every TTL/3 and refreshes the view until ctx ends, then
// leaves the set (bounded by a few seconds) so the others take over at
// once. A failed heartbeat is logged and retried at the next tick.
func (m *Membership) Run(ctx context.Context) error {
	tick := time.NewTicker(m.cfg.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			m.set(nil, time.Time{})
			if err := m.cfg.Store.Leave(leave, m.cfg.Instance); err != nil {
				m.cfg.Logger.Warn("could not leave the live set; the others take over when the heartbeat runs out",
					"instance", m.cfg.Instance, "err", err.Error())
			}
			return nil
		case <-tick.C:
			if err := m.beat(ctx); err != nil && ctx.Err() == nil {
				m.cfg.Logger.Warn("heartbeat failed", "instance", m.cfg.Instance, "err", err.Error())
			}
		}
	}
}

// beat stores a heartbeat and reads the live set.
func (m *Membership) beat(ctx context.Context) error {
	start := time.Now()
	if _, err := m.cfg.Store.Heartbeat(ctx, m.cfg.Instance, m.cfg.TTL); err != nil {
		return err
	}
	members, err := m.cfg.Store.Members(ctx)
	if err != nil {
		return err
	}
	live := make([]string, 0, len(members))
	for _, mem := range members {
		live = append(live, mem.Name)
	}
	m.set(live, start)
	return nil
}

// set replaces the view and wakes the watchers when it changed.
func (m *Membership) set(live []string, beat time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastBeat = beat
	if slices.Equal(live, m.live) {
		return
	}
	m.cfg.Logger.Info("live instances changed", "instance", m.cfg.Instance, "live", live)
	m.live = live
	close(m.changed)
	m.changed = make(chan struct{})
}

// Live is the live set as last read, ordered by name. Once this instance's
// last stored heartbeat is a TTL old it is empty: the others count this
// instance out by then, so it must not count on any unit.
func (m *Membership) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastBeat.IsZero() || time.Since(m.lastBeat) >= m.cfg.TTL {
		return nil
	}
	return slices.Clone(m.live)
}

// Changed is closed at the next change of the view.
func (m *Membership) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Mine is the units of units this instance owns in the current view.
func (m *Membership) Mine(units []string) []string {
	return Share(units, m.Live(), m.cfg.Instance)
}

// Instance is this instance's name.
func (m *Membership) Instance() string { return m.cfg.Instance }
