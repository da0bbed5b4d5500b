package pipeline

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
)

// finalFlushTimeout bounds the last checkpoint write at shutdown.
const finalFlushTimeout = 10 * time.Second

// run starts the goroutines, reads the subscription until intake stops,
// then shuts down in order: fetches and uploads drain (bounded), the
// goroutines stop, and the checkpoint is flushed one last time. When the
// lease is lost, nothing drains: intake, fetches and uploads stop at once
// (requests already sent finish), and the last flush is refused.
func (r *run) run(ctx context.Context, start pubsub.Start) error {
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	r.stop = stopIntake
	// workCtx outlives intake: uploads, fetches and periodic flushes go on
	// while the worker drains, but not past the loss of the lease.
	workCtx, stopWork := r.keeper.guard(context.WithoutCancel(ctx))
	defer stopWork()
	unwatch := context.AfterFunc(workCtx, func() {
		if err := r.keeper.Err(); err != nil {
			r.fail(err)
		}
	})
	defer unwatch()

	// The gate stops credit requests the moment the lease's deadline
	// passes, before the renewer notices: a holder woken from a pause asks
	// the server for nothing more.
	sub := r.opts.PubSub.Subscribe(intakeCtx, r.cfg.Topic, start,
		pubsub.FetchWhile(func() bool { return r.keeper.held(time.Now()) }))
	r.stats.subscribed(sub)
	defer r.stats.ended(sub)
	r.events = newOpenEvents(r.tracker, sub.Release)
	r.stats.setState(replay.StateStreaming, r.cfg.Holder, "from", describeStart(start))

	var background sync.WaitGroup
	background.Go(func() {
		if err := r.upload.Run(workCtx); err != nil {
			r.fail(err)
		}
	})
	r.deadLetters.arm(workCtx)
	// The flusher writes on a timer the tracker arms (no goroutine while
	// the position stays).
	stopFlusher := r.flusher.Start(workCtx, func(err error) {
		r.fail(fmt.Errorf("%w: %w", ErrLeaseLost, err))
	})
	// The fetch batcher starts with the first record to fetch (see
	// queueFetch): an idle topic costs no goroutine for it.
	fetched := make(chan struct{})
	r.fetched, r.workCtx = fetched, workCtx

	r.intake(intakeCtx, sub)
	if r.fetches == nil {
		close(fetched) // no fetch was ever queued
	}
	sub.Stop()
	if err := sub.Err(); err != nil {
		r.fail(fmt.Errorf("subscribe to %s: %w", r.cfg.Topic, err))
	}

	if r.keeper.Err() == nil {
		r.stats.note("topic draining", "open_events", r.events.count(), "within", r.cfg.DrainTimeout)
		r.drain(fetched)
	}
	stopWork()
	stopFlusher()
	<-fetched
	background.Wait()
	r.deadLetters.wait()
	r.finalFlush()
	return r.firstErr()
}

// describeStart says where a stream starts, for the log.
func describeStart(start pubsub.Start) string {
	switch start.Preset {
	case pubsub.Earliest:
		return "the earliest retained event"
	case pubsub.Latest:
		return "the latest event (new changes only)"
	}
	return "after replay ID " + hex.EncodeToString(start.ReplayID)
}

// intake hands every message to handle until the subscription ends or
// intake is stopped, then closes the fetch queue (its only sender).
func (r *run) intake(ctx context.Context, sub *pubsub.Subscription) {
	defer func() {
		if r.fetches != nil {
			close(r.fetches)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-sub.Messages():
			if !ok {
				return
			}
			if err := r.handle(ctx, m); err != nil {
				return // only ctx ending, or a stop at the API limit, makes handle fail
			}
		}
	}
}

// drain waits, up to DrainTimeout, for the fetch batcher to hand out what
// it holds, for the uploader to report every submitted item and for the
// dead letters those reports queued to be stored.
func (r *run) drain(fetched <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.DrainTimeout)
	defer cancel()
	select {
	case <-fetched:
	case <-ctx.Done():
		r.log.Warn("shutdown: record fetches did not finish in time")
		return
	}
	if err := r.upload.Flush(ctx); err != nil {
		r.log.Warn("shutdown: uploads did not finish in time", "open_events", r.events.count())
		return
	}
	if err := r.deadLetters.flush(ctx); err != nil {
		r.log.Warn("shutdown: dead letters were not all stored in time; their events are received again",
			"pending", r.deadLetters.pending())
	}
}

// finalFlush writes the last committable position. Everything not done
// stays behind the checkpoint and is received again by the next holder.
func (r *run) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), finalFlushTimeout)
	defer cancel()
	if err := r.flusher.Flush(ctx); err != nil {
		if errors.Is(err, replay.ErrFenced) {
			err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
		}
		r.fail(err)
	}
}
