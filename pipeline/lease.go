package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// leaseKeeper holds a topic lease: a replay.Renewer renews it (with every
// other lease of the process that is due, in one round trip) and the
// keeper declares it lost when the store refuses a renewal or the local
// deadline (Lease.Expires) passes without one — a process paused past its
// TTL finds the deadline passed when it wakes, before it does anything else
// with the topic. Lost is final: whatever works under the lease (a
// backfill, a worker) stops on Lost and never writes a checkpoint
// afterwards (see fencedCheckpoints).
//
// One keeper serves the whole time a supervisor holds the topic: the
// initial or recovery backfill and the worker run under the same lease, so
// no other instance can load or stream the topic in between.
type leaseKeeper struct {
	store replay.LeaseStore
	log   *slog.Logger
	// onError receives renewal failures that are retried; incidents the
	// renewals that succeed.
	onError   func(error)
	incidents *Incidents
	renewal   *replay.Held

	mu    sync.Mutex
	lease replay.Lease

	lostCtx  context.Context // cancelled, with the cause, when the lease is lost
	loseWith context.CancelCauseFunc
}

// keepLease starts renewing lease through renewer (nil: a renewer of its
// own); call end (or release) to stop.
func keepLease(renewer *replay.Renewer, store replay.LeaseStore, lease replay.Lease, log *slog.Logger, onError func(error), incidents *Incidents) *leaseKeeper {
	if onError == nil {
		onError = func(error) {}
	}
	if renewer == nil {
		renewer = &replay.Renewer{}
	}
	k := &leaseKeeper{store: store, log: log, onError: onError, incidents: incidents, lease: lease}
	k.lostCtx, k.loseWith = context.WithCancelCause(context.Background())
	k.renewal = renewer.Hold(store, lease, k.renewed)
	return k
}

// Lease returns the lease as last renewed.
func (k *leaseKeeper) Lease() replay.Lease {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lease
}

// Lost is closed once the lease is lost.
func (k *leaseKeeper) Lost() <-chan struct{} { return k.lostCtx.Done() }

// Err is why the lease was lost (matching ErrLeaseLost), nil while held.
func (k *leaseKeeper) Err() error {
	if k.lostCtx.Err() == nil {
		return nil
	}
	return context.Cause(k.lostCtx)
}

// held reports whether the lease is still ours at now: not declared lost
// and its local deadline not passed. Checked before every checkpoint write,
// so a holder that wakes from a pause cannot write even before the renewer
// has run.
func (k *leaseKeeper) held(now time.Time) bool {
	if k.lostCtx.Err() != nil {
		return false
	}
	if lease := k.Lease(); lease.Expired(now) {
		k.lose(fmt.Errorf("hold lease of %s: %w: its deadline passed without a renewal", lease.Topic, ErrLeaseLost))
		return false
	}
	return true
}

func (k *leaseKeeper) lose(err error) {
	if k.lostCtx.Err() == nil {
		k.log.Warn("topic lease lost; stopping work on the topic", "topic", k.Lease().Topic, "err", err)
	}
	k.loseWith(err)
}

// guard returns a context of parent that also ends when the lease is lost,
// and the function that releases its resources.
func (k *leaseKeeper) guard(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	unwatch := context.AfterFunc(k.lostCtx, cancel)
	return ctx, func() { unwatch(); cancel() }
}

// renewed is the renewer's outcome of one renewal (on its goroutine).
func (k *leaseKeeper) renewed(lease replay.Lease, err error) {
	topic := k.Lease().Topic
	switch {
	case err == nil:
		k.incidents.Cleared(FailureStore)
		k.mu.Lock()
		k.lease = lease
		k.mu.Unlock()
	case errors.Is(err, replay.ErrFenced):
		k.lose(fmt.Errorf("renew lease of %s: %w: %w", topic, ErrLeaseLost, err))
	case errors.Is(err, replay.ErrLeaseDeadline):
		k.lose(fmt.Errorf("renew lease of %s: %w: deadline passed: %w", topic, ErrLeaseLost, err))
	default:
		k.log.Warn("renew topic lease; retrying", "topic", topic, "err", err)
		k.onError(err)
	}
}

// end stops renewing; when it returns no renewal outcome is handled any more.
func (k *leaseKeeper) end() { k.renewal.Stop() }

// release stops renewing and, unless the lease was lost, gives it up so a
// standby can take over at once instead of after the TTL.
func (k *leaseKeeper) release() {
	k.end()
	if k.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lease := k.Lease()
	if err := k.store.ReleaseLease(ctx, lease); err != nil {
		k.log.Warn("release topic lease", "topic", lease.Topic, "err", err)
	}
}

// fencedCheckpoints is the Flusher's store: it refuses, with ErrFenced,
// every write once the keeper's lease is lost or past its deadline (the
// store would still accept a write from a paused holder whose lease key has
// not expired yet), and records each write that succeeds in stats.
type fencedCheckpoints struct {
	replay.CheckpointStore
	keeper *leaseKeeper
	stats  *topicStats
}

func (f fencedCheckpoints) SaveCheckpoint(ctx context.Context, lease replay.Lease, cp replay.Checkpoint) error {
	if !f.keeper.held(time.Now()) {
		return fmt.Errorf("save checkpoint %s %s: the lease is lost: %w", lease.Org, lease.Topic, replay.ErrFenced)
	}
	if err := f.CheckpointStore.SaveCheckpoint(ctx, lease, cp); err != nil {
		return err
	}
	f.stats.checkpointed(cp, time.Now())
	return nil
}
