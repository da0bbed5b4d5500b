package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// deadLetterTimeout bounds one dead-letter write. A failed write is tried
// again; the event stays unfinished meanwhile, so the checkpoint stays
// before it.
const deadLetterTimeout = 10 * time.Second

// The waits between tries of a dead-letter write the store refused: short
// first (a failover), doubling to a bound, so a store that is back is used
// at once and one that stays down is not hammered.
const (
	deadLetterFirstWait = 200 * time.Millisecond
	deadLetterMaxWait   = 10 * time.Second
)

// deadLetterWriter stores dead letters on a goroutine of its own, in the
// order they came. Queuing never waits, so the uploader's outcome callback
// (which runs under the uploader's report lock) never waits for the store:
// a slow store delays only the events whose dead letters wait, never the
// other uploads. Each dead letter is a piece of its event (see openEvents)
// that finishes only once the store holds it, so the checkpoint never
// passes an event whose dead letter is not durable. The queue needs no
// bound of its own: every queued dead letter keeps its event open, and the
// tracker caps open events (Config.MaxInFlightEvents).
type deadLetterWriter struct {
	store  replay.DeadLetterStore
	org    string
	log    *slog.Logger
	stored func(seq replay.Seq) // finishes the dead letter's piece
	failed func(error)          // a write the store refused (retried)

	mu      sync.Mutex
	ctx     context.Context // the writer's, once armed; nil before
	running sync.WaitGroup  // the writer goroutine, started at the first dead letter
	started bool
	queue   []queuedDeadLetter
	writing bool          // the writer holds one taken off the queue
	wake    chan struct{} // capacity 1: something was queued
	idle    chan struct{} // closed and replaced when queue and writer are empty
}

type queuedDeadLetter struct {
	seq replay.Seq
	d   replay.DeadLetter
}

func newDeadLetterWriter(store replay.DeadLetterStore, org string, log *slog.Logger, stored func(replay.Seq), failed func(error)) *deadLetterWriter {
	idle := make(chan struct{})
	close(idle)
	return &deadLetterWriter{store: store, org: org, log: log, stored: stored, failed: failed,
		wake: make(chan struct{}, 1), idle: idle}
}

// arm lets the writer start, under ctx, at the first dead letter: most
// topics never write one, and an idle topic costs no goroutine for it.
// wait waits for the goroutine, if it started.
func (w *deadLetterWriter) arm(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx = ctx
}

func (w *deadLetterWriter) wait() { w.running.Wait() }

// add queues d, the dead letter of event seq, without waiting.
func (w *deadLetterWriter) add(seq replay.Seq, d replay.DeadLetter) {
	w.mu.Lock()
	if len(w.queue) == 0 && !w.writing {
		w.idle = make(chan struct{})
	}
	w.queue = append(w.queue, queuedDeadLetter{seq: seq, d: d})
	if !w.started && w.ctx != nil {
		w.started = true
		ctx := w.ctx
		w.running.Go(func() { w.run(ctx) })
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run writes queued dead letters until ctx ends; what is still queued
// then stays unwritten, and its events unfinished.
func (w *deadLetterWriter) run(ctx context.Context) {
	for {
		next, ok := w.take()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				continue
			}
		}
		if !w.write(ctx, next) {
			return
		}
		w.done()
		w.stored(next.seq)
	}
}

// take removes the oldest queued dead letter.
func (w *deadLetterWriter) take() (queuedDeadLetter, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return queuedDeadLetter{}, false
	}
	next := w.queue[0]
	w.queue[0] = queuedDeadLetter{}
	w.queue = w.queue[1:]
	w.writing = true
	return next, true
}

// done ends the write of the dead letter take returned.
func (w *deadLetterWriter) done() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writing = false
	if len(w.queue) == 0 {
		close(w.idle)
	}
}

// write stores q, trying again after each refusal, until it is stored
// (true) or ctx ends (false).
func (w *deadLetterWriter) write(ctx context.Context, q queuedDeadLetter) bool {
	wait := deadLetterFirstWait
	for {
		wctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
		_, err := w.store.AddDeadLetter(wctx, w.org, q.d)
		cancel()
		if err == nil {
			w.log.Warn("dead letter", "reason", q.d.Reason, "record", q.d.RecordID, "err", q.d.Error)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		w.log.Error("store dead letter; trying again, the event stays unfinished meanwhile",
			"reason", q.d.Reason, "err", err, "after", wait)
		w.failed(err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, deadLetterMaxWait)
	}
}

// flush waits until every queued dead letter is stored, or ctx ends.
func (w *deadLetterWriter) flush(ctx context.Context) error {
	w.mu.Lock()
	idle := w.idle
	w.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pending says how many dead letters wait to be stored.
func (w *deadLetterWriter) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.queue)
	if w.writing {
		n++
	}
	return n
}
