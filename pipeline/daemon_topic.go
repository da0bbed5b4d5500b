package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
)

// superviseTopic runs the topic's worker again and again: as a standby
// while another holder has the lease, after a recovery when the stream
// could not be resumed. It returns nil when ctx ends, and the error of a
// stop no retry can fix.
func (d *Daemon) superviseTopic(ctx context.Context, topic string, objects []string) error {
	start, err := d.startNewTopic(ctx, topic, objects)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("start topic %s: %w", topic, err)
	}
	resumeAtEarliest := false
	for {
		w, err := New(d.workerConfig(topic, start, resumeAtEarliest), d.opts)
		if err != nil {
			return err
		}
		err = w.Run(ctx)
		resumeAtEarliest = false
		switch {
		case ctx.Err() != nil, err == nil:
			return nil
		case errors.Is(err, replay.ErrLeaseHeld), errors.Is(err, ErrLeaseLost):
			d.log.Info("topic held by another instance; standing by", "topic", topic, "err", err)
			if sleep(ctx, d.cfg.RetryInterval) != nil {
				return nil
			}
		case streamCannotResume(err):
			if err := d.recoverTopic(ctx, topic, objects, err); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				d.saveStatus(topic, replay.StateFailed, err)
				return err
			}
			resumeAtEarliest = true
		default:
			d.saveStatus(topic, replay.StateFailed, err)
			return fmt.Errorf("topic %s: %w", topic, err)
		}
	}
}

// streamCannotResume tells the stops a recovery policy handles: the
// replay ID was refused (expired) or the checkpoint vanished.
func streamCannotResume(err error) bool {
	return errors.Is(err, pubsub.ErrReplayInvalid) || errors.Is(err, replay.ErrCheckpointVanished)
}

func (d *Daemon) workerConfig(topic string, start StartPosition, resumeAtEarliest bool) Config {
	cfg := d.cfg.Worker
	cfg.Org, cfg.Topic, cfg.Holder, cfg.Start, cfg.ResumeAtEarliest = d.cfg.Org, topic, d.cfg.Holder, start, resumeAtEarliest
	return cfg
}

// startNewTopic decides where a topic without a checkpoint starts, and
// with NewTopicBackfill loads its objects over REST first. A topic with a
// checkpoint (or one that vanished, which the worker reports) starts
// where the worker decides.
//
// The initial load runs before the worker takes the lease, so two
// instances starting together may both load; the content hashes make the
// second load cost no upload.
func (d *Daemon) startNewTopic(ctx context.Context, topic string, objects []string) (StartPosition, error) {
	if d.cfg.Start == NewTopicLatest {
		return StartLatest, nil
	}
	if d.cfg.Start == NewTopicEarliest {
		return StartEarliest, nil
	}
	_, err := d.opts.Store.Checkpoint(ctx, d.cfg.Org, topic)
	if !errors.Is(err, replay.ErrNotFound) {
		return StartEarliest, nil // a checkpoint, a vanished one, or a read error the worker meets again
	}
	d.log.Info("topic never streamed: loading its objects over REST first", "topic", topic, "objects", objects)
	d.saveStatus(topic, replay.StateBackfilling, nil)
	if _, err := d.fill.Run(ctx, backfill.Request{Objects: objects}); err != nil {
		return "", fmt.Errorf("initial backfill of %v: %w", objects, err)
	}
	return StartEarliest, nil
}

// saveStatus writes the topic's monitoring state; a failure only logs,
// monitoring must not stop the work.
func (d *Daemon) saveStatus(topic string, state replay.State, cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := replay.Status{State: state, Holder: d.cfg.Holder}
	if cause != nil {
		st.LastError, st.LastErrorAt = cause.Error(), time.Now()
	}
	if err := d.opts.Store.SaveStatus(ctx, d.cfg.Org, topic, st); err != nil {
		d.log.Warn("save topic status", "topic", topic, "err", err)
	}
}
