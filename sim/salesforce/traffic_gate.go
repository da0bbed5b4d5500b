package salesforce

import (
	"context"
	"sync"
)

// TrafficGate pauses and resumes a Generator from another goroutine (an
// admin endpoint) without stopping anything else: while the gate is paused
// the generator starts no activity, and the org keeps serving subscribers
// and REST calls, writes included. A newcomer can so make one change of
// their own and watch it arrive without generated traffic around it.
//
// Pause returns only once the generator is between activities, so no
// generated event is appended after Pause returns until Resume. The zero
// value is an open gate; a nil *TrafficGate is always open.
type TrafficGate struct {
	mu       sync.Mutex
	paused   bool
	stepping bool          // an activity is running
	changed  chan struct{} // closed and replaced at every change of the two
}

// Pause closes the gate and waits until the running activity, if any, has
// committed. It returns ctx's error if ctx ends first (the gate stays
// closed).
func (g *TrafficGate) Pause(ctx context.Context) error {
	g.mu.Lock()
	g.paused = true
	g.signalLocked()
	for g.stepping {
		ch := g.changedLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return nil
}

// Resume opens the gate.
func (g *TrafficGate) Resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = false
	g.signalLocked()
}

// Paused reports whether the gate is closed.
func (g *TrafficGate) Paused() bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// begin waits while the gate is closed, then marks an activity running.
// waited reports whether it had to wait (a runner pacing by wall time
// restarts its pace then, instead of catching up in a burst).
func (g *TrafficGate) begin(ctx context.Context) (waited bool, err error) {
	if g == nil {
		return false, ctx.Err()
	}
	g.mu.Lock()
	for g.paused {
		waited = true
		ch := g.changedLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return waited, ctx.Err()
		}
		g.mu.Lock()
	}
	g.stepping = true
	g.signalLocked()
	g.mu.Unlock()
	return waited, ctx.Err()
}

// end marks the running activity committed.
func (g *TrafficGate) end() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stepping = false
	g.signalLocked()
}

func (g *TrafficGate) changedLocked() chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

func (g *TrafficGate) signalLocked() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}
