package replay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultFlushInterval is how often a Flusher writes by default. It bounds
// the events re-sent after a crash to about one interval's worth; a fenced
// write costs well under a millisecond, so there is no reason to wait long.
const DefaultFlushInterval = time.Second

// FlusherOptions tune a Flusher. The zero value is usable.
type FlusherOptions struct {
	// Interval between writes in Run; 0 means DefaultFlushInterval.
	Interval time.Duration
	// OnError receives errors Run survives (the store unreachable, say);
	// Run retries at the next tick. nil drops them.
	OnError func(error)
}

// Flusher writes a Tracker's committable position as the topic's checkpoint,
// fenced by the worker's lease, on an interval (Run) and on demand (Flush,
// e.g. at shutdown once in-flight uploads have drained). It skips the write
// when the position has not moved since the last successful one.
//
// The lease's token and holder are what the store checks; renewals only
// change Expires, so the Flusher keeps the Lease it was given.
type Flusher struct {
	store    CheckpointStore
	tracker  *Tracker
	lease    Lease
	interval time.Duration
	onError  func(error)

	mu      sync.Mutex // one write at a time, so writes land in order
	written Seq
}

// NewFlusher returns a Flusher for tracker's topic, writing under lease.
func NewFlusher(store CheckpointStore, tracker *Tracker, lease Lease, opts FlusherOptions) *Flusher {
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	onError := opts.OnError
	if onError == nil {
		onError = func(error) {}
	}
	return &Flusher{store: store, tracker: tracker, lease: lease, interval: interval, onError: onError}
}

// Flush writes the committable position if it moved since the last write.
// ErrFenced (wrapped) means the lease is lost: stop working on the topic.
func (f *Flusher) Flush(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.tracker.Committable()
	if c.Seq == 0 || c.Seq == f.written {
		return nil
	}
	err := f.store.SaveCheckpoint(ctx, f.lease, Checkpoint{ReplayID: c.ReplayID, CommitTime: c.CommitTime})
	if err != nil {
		return fmt.Errorf("flush checkpoint: %w", err)
	}
	f.written = c.Seq
	return nil
}

// Written returns the Seq of the last position written, 0 if none.
func (f *Flusher) Written() Seq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

// Run flushes every interval until ctx ends (returning nil) or the lease is
// lost (returning the ErrFenced error). Other errors go to OnError and the
// write is retried an interval later. Run does not flush at exit: the
// caller calls Flush with a shutdown context after draining uploads.
//
// While the committable position has not moved since the last write Run
// sleeps on the tracker (Tracker.Moved) instead of waking every interval:
// thousands of idle topics (sfcdc serve) cost no wake-ups. Once it moves,
// Run waits out the interval before writing, so writes keep the pace of
// one per interval at most; a failed write leaves the position ahead of
// the one written, so the retry comes an interval later as before.
func (f *Flusher) Run(ctx context.Context) error {
	timer := time.NewTimer(f.interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.tracker.Moved(f.Written()):
		}
		timer.Reset(f.interval)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		err := f.Flush(ctx)
		switch {
		case err == nil:
		case errors.Is(err, ErrFenced):
			return err
		case ctx.Err() == nil:
			f.onError(err)
		}
	}
}

// Start does Run's work without a goroutine while there is nothing to
// write: the tracker arms a timer when the committable position moves
// (Tracker.OnMove), and the timer writes an interval later, on the timer's
// goroutine, one write at a time. A failed write is retried an interval
// later; a fenced one (the lease lost) ends the writes and is handed to
// onFenced, which must not call stop. Thousands of idle topics (sfcdc
// serve) so cost neither a wake-up nor a goroutine. stop ends the writes:
// when it returns none runs and none will (the caller then calls Flush
// once more, as after Run). ctx bounds each write and, when it ends, stops
// the writes too.
func (f *Flusher) Start(ctx context.Context, onFenced func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	t := &flushTimer{f: f, ctx: ctx, onFenced: onFenced}
	t.timer = time.AfterFunc(f.interval, t.fire)
	t.timer.Stop()
	t.armed.Store(false)
	f.tracker.OnMove(t.arm)
	if f.tracker.Committable().Seq != f.Written() {
		t.arm() // moved before Start
	}
	return func() {
		f.tracker.OnMove(nil)
		cancel()
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		t.timer.Stop()
	}
}

// flushTimer is Start's timer and what it needs.
type flushTimer struct {
	f        *Flusher
	ctx      context.Context
	onFenced func(error)
	timer    *time.Timer
	// armed: a write is due; set by the first move after a write (or a
	// failed write), cleared by the write before it reads the position, so
	// a move during a write arms the next one.
	armed atomic.Bool

	mu      sync.Mutex // one write at a time; stop waits for the one running
	stopped bool
}

func (t *flushTimer) arm() {
	if t.armed.CompareAndSwap(false, true) {
		t.timer.Reset(t.f.interval)
	}
}

func (t *flushTimer) fire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.ctx.Err() != nil {
		return
	}
	t.armed.Store(false)
	err := t.f.Flush(t.ctx)
	switch {
	case err == nil:
	case errors.Is(err, ErrFenced):
		t.stopped = true
		t.onFenced(err)
	case t.ctx.Err() == nil:
		t.f.onError(err)
		t.arm() // the position is still ahead of the one written
	}
}
