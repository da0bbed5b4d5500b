package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
)

// recoverTopic applies the recovery policy to a stream that cannot be
// resumed (cause). It records the cause first, so the operator sees it
// whatever follows; with RecoverByBackfill it then backfills the window
// the stream left uncovered, after which the worker resumes at EARLIEST:
// the window ends now, EARLIEST starts before now, so nothing falls
// between. It returns the instant the backfill began, before which the
// resumed stream passes events (their records were read later).
func (d *Daemon) recoverTopic(ctx context.Context, topic string, objects []string, cause error) (time.Time, error) {
	ts := d.stats[topic]
	ts.setError(cause)
	ts.setState(replay.StateRecovering, d.cfg.Holder, "why", "the stream cannot be resumed", "policy", string(d.cfg.Recovery),
		"err", cause)
	if d.cfg.Recovery == RecoverStop {
		return time.Time{}, fmt.Errorf("topic %s (recovery policy stop): %w", topic, cause)
	}
	since, err := d.recoverySince(ctx, topic, objects)
	if err != nil {
		return time.Time{}, err
	}
	// Taken, and stored, before the backfill reads anything: as for a new
	// topic, the retained events committed before it add nothing to what
	// the backfill reads, and the stream from EARLIEST passes them.
	var started time.Time
	for {
		if started.IsZero() || d.salesforceNow(ctx).Sub(started) > streamStartMaxAge {
			// A new window only when the retained events after the old
			// one's end may be gone after a long pause at the API budget;
			// otherwise the window, and its saved progress, is kept.
			started = d.salesforceNow(ctx)
			d.saveStreamStart(ctx, topic, started)
		}
		// Salesforce's clock is known to the second, and read up to a second
		// behind: the window reaches a second further, so it holds every
		// record changed before the backfill began.
		until := started.Add(time.Second)
		d.log.Warn("recovering topic by backfill", "topic", topic, "objects", objects, "since", since, "until", until)
		ts.setState(replay.StateRecovering, d.cfg.Holder)
		sum, err := d.fill.Run(ctx, backfill.Request{Objects: objects, Since: since, Until: until})
		ts.backfilled(sum)
		if d.pauseAtBudget(ctx, topic, "recovery", err) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("recover topic %s by backfill: %w", topic, err)
		}
		d.loadDone(ts, "recovery load done", sum)
		return started, nil
	}
}

// recoverySince is where the recovery window starts: the last committed
// checkpoint's commit time less the overlap; when that is unknown (the
// checkpoint vanished), the oldest backfill watermark of the objects less
// the overlap; when an object has none, the beginning (zero).
func (d *Daemon) recoverySince(ctx context.Context, topic string, objects []string) (time.Time, error) {
	cp, err := d.opts.Store.Checkpoint(ctx, d.cfg.Org, topic)
	switch {
	case err == nil && !cp.CommitTime.IsZero():
		return cp.CommitTime.Add(-d.cfg.RecoveryOverlap), nil
	case err != nil && !errors.Is(err, replay.ErrNotFound) && !errors.Is(err, replay.ErrCheckpointVanished):
		return time.Time{}, fmt.Errorf("read checkpoint of %s: %w", topic, err)
	}
	var oldest time.Time
	for _, object := range objects {
		w, err := d.opts.Store.Watermark(ctx, d.cfg.Org, object)
		switch {
		case errors.Is(err, replay.ErrNotFound):
			return time.Time{}, nil
		case err != nil:
			return time.Time{}, fmt.Errorf("read backfill watermark of %s: %w", object, err)
		case w.Modstamp.IsZero(): // a Bulk job read before any position: nothing settled yet
			return time.Time{}, nil
		case oldest.IsZero() || w.Modstamp.Before(oldest):
			oldest = w.Modstamp
		}
	}
	if oldest.IsZero() {
		return time.Time{}, nil
	}
	return oldest.Add(-d.cfg.RecoveryOverlap), nil
}

// resyncObject is the workers' Resync: a backfill window of object from
// the overflow's commit time, less the recovery overlap, to now, counted
// in the topic's figures ts.
func (d *Daemon) resyncObject(ctx context.Context, ts *topicStats, object string, committed time.Time) error {
	var since time.Time
	if !committed.IsZero() {
		since = committed.Add(-d.cfg.RecoveryOverlap)
	}
	// Until on Salesforce's clock (rounded up past its second), which
	// stamps the records: this host's clock running behind would leave out
	// the overflowing transaction's records, whose events never come.
	until := d.salesforceNow(ctx).Add(time.Second)
	sum, err := d.fill.Run(ctx, backfill.Request{Objects: []string{object}, Since: since, Until: until})
	ts.backfilled(sum)
	if err != nil {
		return fmt.Errorf("resync %s by backfill: %w", object, err)
	}
	return nil
}
