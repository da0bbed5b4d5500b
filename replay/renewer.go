package replay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLeaseDeadline is a held lease's end when its local deadline
// (Lease.Expires) passed without a renewal: the holder must assume it is
// lost, as if the store had refused it.
var ErrLeaseDeadline = errors.New("the lease's local deadline passed without a renewal")

// Renewer keeps many leases renewed in few round trips: one process holding
// thousands of topic leases (sfcdc serve) renews all that are due in one
// LeaseStore.RenewLeases call per store, instead of one call per lease on
// one goroutine per lease.
//
// Each lease is renewed at least every third of its TTL, as a lone
// renewer would: a lease is due a third of its TTL after its last renewal
// started, and the round trip a due lease starts takes along every lease of
// the same store renewed at least a sixth of its TTL ago, so leases taken
// at different times fall into one round within two rounds, and none is
// renewed more often than every sixth of its TTL. The fencing guarantees are those of
// RenewLease: a refused renewal ends exactly that lease (ErrFenced), a lease
// whose local deadline passes without a renewal ends (ErrLeaseDeadline),
// every Expires is measured from before its round trip, and a round trip is
// bounded by the earliest deadline among its leases (an answer after it
// would be useless). Leases of Scoped views are renewed at the store under
// them, so the scopes of every integration share one call.
//
// The Renewer owns one goroutine while it holds any lease, started by the
// first Hold; it ends by itself once the last lease is stopped (a round trip
// in flight then is cancelled). The zero Renewer is ready to use; safe for
// concurrent use.
type Renewer struct {
	mu      sync.Mutex
	held    map[*Held]struct{}
	running bool
	wake    chan struct{}
	cancel  context.CancelFunc // of the round trip in flight, nil if none
}

// Held is one lease a Renewer keeps; Stop ends it.
type Held struct {
	r     *Renewer
	store LeaseStore // where the renewals go: the store under every Scoped
	root  Lease      // the lease as store names it, Expires as last renewed
	org   string     // the holder's name of the org (Scoped views prefix it)
	last  time.Time  // when the last renewal (or the acquisition) started; the Renewer's goroutine's
	on    func(Lease, error)

	mu      sync.Mutex // held while on runs; Stop takes it
	stopped bool
}

// Hold starts renewing lease, acquired from store. After each renewal on
// is called, on the Renewer's goroutine, with the lease renewed (its new
// Expires) and a nil error; with a zero Lease and the error of a renewal
// that failed but may be retried (the lease is still held until its
// deadline, and tried again a third of its TTL later); or, once, with a
// zero Lease and an error matching ErrFenced or ErrLeaseDeadline: the lease
// is lost and no longer renewed. on must not block (it delays the other
// leases' renewals) nor call Stop.
func (r *Renewer) Hold(store LeaseStore, lease Lease, on func(Lease, error)) *Held {
	root, rl := rootLease(store, lease)
	h := &Held{r: r, store: root, root: rl, org: lease.Org, last: lease.Expires.Add(-lease.TTL), on: on}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == nil {
		r.held, r.wake = map[*Held]struct{}{}, make(chan struct{}, 1)
	}
	r.held[h] = struct{}{}
	if !r.running {
		r.running = true
		go r.run()
	}
	r.signal()
	return h
}

// Stop ends h's renewals: when it returns, h's callback is not running and
// never runs again. Stopping twice is harmless.
func (h *Held) Stop() {
	r := h.r
	r.mu.Lock()
	if _, ok := r.held[h]; ok {
		delete(r.held, h)
		if len(r.held) == 0 && r.cancel != nil {
			r.cancel()
		}
		r.signal()
	}
	r.mu.Unlock()
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
}

// signal wakes the goroutine. r.mu held.
func (r *Renewer) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// rootLease is lease as the store under every view (Scoped) names it.
func rootLease(store LeaseStore, lease Lease) (LeaseStore, Lease) {
	if v, ok := store.(interface {
		rootLease(Lease) (LeaseStore, Lease)
	}); ok {
		return v.rootLease(lease)
	}
	return store, lease
}

func (r *Renewer) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		r.mu.Lock()
		if len(r.held) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		now := time.Now()
		var wakeAt time.Time
		var ended []*Held
		eligible := map[LeaseStore][]*Held{}
		due := map[LeaseStore]bool{}
		for h := range r.held {
			next := h.last.Add(h.root.TTL / 3)
			switch {
			case h.root.Expired(now):
				delete(r.held, h)
				ended = append(ended, h)
				continue
			case !now.Before(next):
				due[h.store] = true
			}
			if now.Sub(h.last) >= h.root.TTL/6 {
				eligible[h.store] = append(eligible[h.store], h)
			}
			for _, t := range []time.Time{next, h.root.Expires} {
				if wakeAt.IsZero() || t.Before(wakeAt) {
					wakeAt = t
				}
			}
		}
		for store := range eligible {
			if !due[store] {
				delete(eligible, store)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		r.mu.Unlock()

		for _, h := range ended {
			h.deliver(Lease{}, fmt.Errorf("renew lease %s: %w", ref(h.org, h.root.Topic), ErrLeaseDeadline))
		}
		for store, hs := range eligible {
			r.renew(ctx, store, hs)
		}
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
		cancel()
		if len(ended)+len(eligible) > 0 {
			continue // look again: the renewed are due later, new leases may have come
		}
		timer.Reset(time.Until(wakeAt))
		select {
		case <-timer.C:
		case <-r.wake:
			if !timer.Stop() {
				<-timer.C
			}
		}
	}
}

// renew sends hs's leases to store in one call and hands out the outcomes.
func (r *Renewer) renew(ctx context.Context, store LeaseStore, hs []*Held) {
	leases := make([]Lease, len(hs))
	deadline := hs[0].root.Expires
	for i, h := range hs {
		leases[i] = h.root
		if h.root.Expires.Before(deadline) {
			deadline = h.root.Expires
		}
	}
	// An answer after the earliest deadline is useless for that lease; the
	// others are tried again next round.
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := time.Now()
	renewed, errs := store.RenewLeases(ctx, leases)
	for i, h := range hs {
		h.last = start
		err := errs[i]
		switch {
		case err == nil:
			h.root = renewed[i]
			l := renewed[i]
			l.Org = h.org
			h.deliver(l, nil)
			continue
		case errors.Is(err, ErrFenced):
		case h.root.Expired(time.Now()):
			err = fmt.Errorf("%w: %w", ErrLeaseDeadline, err)
		default:
			h.deliver(Lease{}, err) // held still: tried again later
			continue
		}
		r.mu.Lock()
		delete(r.held, h)
		r.mu.Unlock()
		h.deliver(Lease{}, err)
	}
}

// deliver calls on unless h was stopped.
func (h *Held) deliver(l Lease, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stopped {
		h.on(l, err)
	}
}
