package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
)

// superviseTopic takes the topic's lease, works on the topic while it
// holds it, and stands by (retrying every RetryInterval) while another
// instance holds it or after losing it. It returns nil when ctx ends, and
// the error of a stop no retry can fix.
func (d *Daemon) superviseTopic(ctx context.Context, topic string, objects []string) error {
	ts := d.stats[topic]
	defer func() {
		if s := ts.currentState(); s != replay.StateFailed && s != replay.StateStopped {
			ts.setState(replay.StateStopped, "")
		}
	}()
	for {
		previous := ts.snapshot(time.Now())
		ts.setState(replay.StateStarting, d.cfg.Holder)
		lease, err := d.opts.Store.AcquireLease(ctx, d.cfg.Org, topic, d.cfg.Holder, d.cfg.Worker.withDefaults().LeaseTTL)
		var held *replay.LeaseHeldError
		switch {
		case err == nil: // even if ctx just ended: holdTopic releases it
			d.opts.Incidents.Cleared(FailureStore)
			d.logLeaseTaken(topic, previous, lease)
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &held):
			ts.setState(replay.StateStandby, held.Holder)
			if sleep(ctx, standbyWait(d.cfg.RetryInterval, held.Remaining)) != nil {
				return nil
			}
			continue
		case storeUnreachable(err):
			// Redis down or restarting: nothing is held, nothing is lost;
			// try again rather than stop the whole daemon.
			err = fmt.Errorf("acquire lease of %s: %w: %w", topic, ErrStoreUnavailable, err)
			d.log.Warn("state store unreachable; retrying", "topic", topic, "err", err, "after", d.cfg.RetryInterval)
			ts.setError(err)
			if sleep(ctx, d.cfg.RetryInterval) != nil {
				return nil
			}
			continue
		default:
			err = fmt.Errorf("acquire lease of %s: %w", topic, err)
			ts.setError(err)
			ts.setState(replay.StateFailed, d.cfg.Holder)
			return err
		}
		err = d.holdTopic(ctx, topic, objects, lease)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrLeaseLost):
			ts.setState(replay.StateStandby, "", "reason", err)
			if sleep(ctx, d.cfg.RetryInterval) != nil {
				return nil
			}
		default:
			return err
		}
	}
}

// holdTopic works on the topic under lease until ctx ends (nil), the lease
// is lost (an ErrLeaseLost error) or a fatal error. Only here, while the
// lease is held, is the topic's status written: every StatusInterval and at
// each state change, and a last time (stopped or failed) before the lease
// is released, so it never overwrites the document of the next holder.
func (d *Daemon) holdTopic(ctx context.Context, topic string, objects []string, lease replay.Lease) error {
	ts := d.stats[topic]
	keeper := keepLease(d.opts.Renewer, d.opts.Store, lease, d.log, ts.setError, d.opts.Incidents)
	workCtx, unguard := keeper.guard(ctx)
	defer unguard()
	ts.setState(replay.StateStarting, d.cfg.Holder)

	stopStatuses := d.writeStatuses(topic, keeper)
	err := d.workTopic(workCtx, keeper, topic, objects)
	stopStatuses()

	lost := keeper.Err()
	switch {
	case lost != nil || errors.Is(err, ErrLeaseLost):
		// Another instance may own the topic now: its status is not ours.
		keeper.end()
		if lost == nil {
			lost = err
		}
		ts.setError(lost)
		return lost
	case err == nil || ctx.Err() != nil:
		ts.setState(replay.StateStopped, d.cfg.Holder)
		d.saveStatus(topic)
		keeper.release()
		return nil
	default:
		ts.setError(err)
		ts.setState(replay.StateFailed, d.cfg.Holder, "err", err)
		d.saveStatus(topic)
		keeper.release()
		return err
	}
}

// logLeaseTaken logs at info that this instance holds the topic now, and
// whom it took the topic over from when it stood by for another holder.
func (d *Daemon) logLeaseTaken(topic string, previous figures.Topic, lease replay.Lease) {
	if previous.State == replay.StateStandby {
		from := previous.Holder
		if from == "" {
			from = "a holder that lost or gave it up"
		}
		d.log.Info("took over the topic lease", "topic", topic, "holder", d.cfg.Holder, "from", from, "fencing_token", lease.Token)
		return
	}
	d.log.Info("topic lease acquired", "topic", topic, "holder", d.cfg.Holder, "fencing_token", lease.Token)
}

// workTopic runs, under the keeper's lease, the topic's initial backfill
// when it never streamed, then its worker, again after each recovery. ctx
// ends on cancellation or when the lease is lost; it returns nil, the loss
// (keeper.Err) or a fatal error.
func (d *Daemon) workTopic(ctx context.Context, keeper *leaseKeeper, topic string, objects []string) error {
	ts := d.stats[topic]
	start, err := d.startNewTopic(ctx, topic, objects)
	for d.pauseAtBudget(ctx, topic, "initial load", err) {
		start, err = d.startNewTopic(ctx, topic, objects)
	}
	if err != nil {
		if ctx.Err() != nil {
			return keeper.Err()
		}
		return fmt.Errorf("start topic %s: %w", topic, err)
	}
	resumeAtEarliest := false
	for {
		w, err := New(d.workerConfig(topic, start, resumeAtEarliest), d.workerOptions(topic))
		if err != nil {
			return err
		}
		w.held, w.stats = keeper, ts
		ts.setState(replay.StateStarting, d.cfg.Holder)
		err = w.Run(ctx)
		resumeAtEarliest = false
		switch {
		case err == nil, ctx.Err() != nil:
			return keeper.Err()
		case errors.Is(err, ErrLeaseLost):
			return err
		case atAPILimit(err):
			// The record fetch (REQUEST_LIMIT_EXCEEDED) or a resync load (at
			// the budget, or refused so) stopped the worker before the
			// failing event, which the next worker streams again from the
			// checkpoint once the pause is over.
			if !d.pauseAtBudget(ctx, topic, "streaming", err) {
				return keeper.Err()
			}
		case errors.Is(err, ErrStoreUnavailable):
			d.log.Warn("state store unreachable; restarting the topic's worker", "topic", topic, "err", err, "after", d.cfg.RetryInterval)
			ts.setError(err)
			if sleep(ctx, d.cfg.RetryInterval) != nil {
				return keeper.Err()
			}
		case streamCannotResume(err):
			recovered, err := d.recoverTopic(ctx, topic, objects, err)
			if err != nil {
				if ctx.Err() != nil {
					return keeper.Err()
				}
				return err
			}
			start.skipBefore, resumeAtEarliest = d.skipBefore(recovered), true
		default:
			return fmt.Errorf("topic %s: %w", topic, err)
		}
	}
}

// standbyWait is how long a standby waits before trying for the lease
// again: until the holder's lease would expire (plus a margin for clock
// granularity) when that comes before the retry interval, so that a dead
// holder's topic is taken over within one lease TTL of its last renewal.
func standbyWait(retry, remaining time.Duration) time.Duration {
	const margin = 20 * time.Millisecond
	if remaining >= 0 && remaining+margin < retry {
		return remaining + margin
	}
	return retry
}

// streamCannotResume tells the stops a recovery policy handles: the
// replay ID was refused (expired) or the checkpoint vanished.
func streamCannotResume(err error) bool {
	return errors.Is(err, pubsub.ErrReplayInvalid) || errors.Is(err, replay.ErrCheckpointVanished)
}

func (d *Daemon) workerConfig(topic string, start topicStart, resumeAtEarliest bool) Config {
	cfg := d.cfg.Worker
	cfg.Org, cfg.Topic, cfg.Holder, cfg.Start, cfg.ResumeAtEarliest = d.cfg.Org, topic, d.cfg.Holder, start.position, resumeAtEarliest
	cfg.SkipCommittedBefore = start.skipBefore
	return cfg
}

// workerOptions are the shared options, with the daemon's Resync counting
// its uploads in the topic's figures.
func (d *Daemon) workerOptions(topic string) Options {
	opts := d.opts
	if opts.Resync == nil {
		ts := d.stats[topic]
		opts.Resync = func(ctx context.Context, object string, committed time.Time) error {
			return d.resyncObject(ctx, ts, object, committed)
		}
	}
	return opts
}

// topicStart is where a topic's worker begins when it has no checkpoint,
// and which retained events it passes as covered by the initial backfill.
type topicStart struct {
	position   StartPosition
	skipBefore time.Time
}

// startNewTopic decides where a topic without a checkpoint starts, and
// with NewTopicBackfill loads its objects over REST first. It runs under
// the topic's lease, so of two instances starting together only the one
// holding the lease loads, and it reads the checkpoint after any previous
// holder's last write. A topic with a checkpoint (or one that vanished,
// which the worker reports) starts where the worker decides, still
// passing the events its initial backfill covered: a restart while the
// stream replays them must not bill them.
func (d *Daemon) startNewTopic(ctx context.Context, topic string, objects []string) (topicStart, error) {
	if d.cfg.Start == NewTopicLatest {
		return topicStart{position: StartLatest}, nil
	}
	if d.cfg.Start == NewTopicEarliest {
		return topicStart{position: StartEarliest}, nil
	}
	_, err := d.opts.Store.Checkpoint(ctx, d.cfg.Org, topic)
	started, known := d.streamStart(ctx, topic)
	if !errors.Is(err, replay.ErrNotFound) {
		// A checkpoint, a vanished one, or a read error the worker meets again.
		return topicStart{position: StartEarliest, skipBefore: d.skipBefore(started)}, nil
	}
	if now := d.salesforceNow(ctx); !known || now.Sub(started) > streamStartMaxAge {
		// Taken before the backfill reads anything: every change committed
		// before it is in what the backfill reads. An instant kept from a
		// load begun too long ago (paused at the API budget) is replaced:
		// the stream must still retain the events committed after it when
		// the load ends, and the load, going on from its watermark, reads
		// what changed in between.
		started = now
		d.saveStreamStart(ctx, topic, started)
	}
	ts := d.stats[topic]
	ts.setState(replay.StateBackfilling, d.cfg.Holder, "why", "the topic never streamed: its objects are loaded over REST first",
		"objects", objects, "reads_up_to", started, "stream_passes_commits_before", d.skipBefore(started))
	// The load reads up to the start instant and ends there, however busy
	// the org: every change after it comes through the stream. Salesforce's
	// clock is read to the second, up to a second behind, so the bound
	// reaches a second further.
	sum, err := d.fill.Run(ctx, backfill.Request{Objects: objects, UpTo: started.Add(time.Second)})
	ts.backfilled(sum)
	if err != nil {
		return topicStart{}, fmt.Errorf("initial backfill of %v: %w", objects, err)
	}
	d.loadDone(ts, "initial load done", sum)
	return topicStart{position: StartEarliest, skipBefore: d.skipBefore(started)}, nil
}

// streamStartMaxAge is how old a stored start instant may be when an
// initial load (re)starts: well inside the bus's 72-hour retention, so
// the events after it are still there when the stream takes over.
const streamStartMaxAge = 48 * time.Hour

// streamStartName is the store entry (a watermark, by name) keeping the
// instant a topic's initial backfill began. Object API names hold no
// spaces, so it never meets an object's watermark.
func streamStartName(topic string) string { return "stream start " + topic }

// streamStart reads the stored start instant of the topic's initial
// backfill. A read failure counts as unknown: a new instant taken before
// a new backfill is as safe, it only passes fewer events.
func (d *Daemon) streamStart(ctx context.Context, topic string) (time.Time, bool) {
	w, err := d.opts.Store.Watermark(ctx, d.cfg.Org, streamStartName(topic))
	switch {
	case err == nil:
		return w.Modstamp, true
	case !errors.Is(err, replay.ErrNotFound):
		d.log.Warn("read the stream start of the topic; its retained events are all handled", "topic", topic, "err", err)
	}
	return time.Time{}, false
}

// saveStreamStart stores the start instant before the backfill runs, so a
// restart during the backfill or while the stream replays keeps it. A
// failure only logs: the run goes on with the instant in memory, and a
// restart takes a new one before its own backfill.
func (d *Daemon) saveStreamStart(ctx context.Context, topic string, at time.Time) {
	if err := d.opts.Store.SaveWatermark(ctx, d.cfg.Org, streamStartName(topic), replay.Watermark{Modstamp: at}); err != nil {
		d.log.Warn("store the stream start of the topic", "topic", topic, "err", err)
	}
}

// skipBefore is the commit time before which the stream passes events:
// the backfill's start less the clock-skew margin; zero when unknown.
func (d *Daemon) skipBefore(started time.Time) time.Time {
	if started.IsZero() {
		return time.Time{}
	}
	return started.Add(-d.cfg.StartClockSkew)
}

// writeStatuses has the topic's status written by the daemon's
// StatusBatcher (Options.Statuses: sfcdc serve shares one across its
// integrations) at once, at every state change and every StatusInterval,
// while the lease is held, until the returned stop: when it returns no
// write of the topic runs and none will.
func (d *Daemon) writeStatuses(topic string, keeper *leaseKeeper) (stop func()) {
	stats := d.stats[topic]
	reg := d.opts.Statuses.Register(d.opts.Store, d.cfg.Org, topic, func() (replay.Status, bool) {
		now := time.Now()
		if !keeper.held(now) {
			return replay.Status{}, false
		}
		return stats.snapshot(now), true
	}, func(err error) {
		if err != nil {
			d.log.Warn("save topic status", "topic", topic, "err", err)
			return
		}
		d.opts.Incidents.Cleared(FailureStore)
	})
	changed := reg.Changed
	stats.changed.Store(&changed)
	return func() {
		stats.changed.Store(nil)
		reg.Stop()
	}
}

// saveStatus writes the topic's status document; a failure only logs,
// monitoring must not stop the work.
func (d *Daemon) saveStatus(topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.opts.Store.SaveStatus(ctx, d.cfg.Org, topic, d.stats[topic].snapshot(time.Now())); err != nil {
		d.log.Warn("save topic status", "topic", topic, "err", err)
		return
	}
	d.opts.Incidents.Cleared(FailureStore)
}

// ServerClock is implemented by record sources that can tell Salesforce's
// current time (*salesforce.Client, from its answers' Date header).
type ServerClock interface {
	ServerNow(ctx context.Context) (time.Time, error)
}

// salesforceNow is the start instant of a backfill on Salesforce's clock,
// which stamps the commit times the stream compares with it; this host's
// clock when the record source cannot tell (then start_clock_skew must
// cover the difference).
func (d *Daemon) salesforceNow(ctx context.Context) time.Time {
	clock, ok := d.opts.Records.(ServerClock)
	if !ok {
		return time.Now()
	}
	now, err := clock.ServerNow(ctx)
	if err != nil {
		d.log.Warn("Salesforce's clock is unknown; taking this host's for the backfill start", "err", err)
		return time.Now()
	}
	return now
}
