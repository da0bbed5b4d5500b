package pipeline

import (
	"context"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
)

// Resync re-reads the records of object changed since committed (less an
// overlap the implementation chooses) up to now, and delivers their
// comments; it returns once they are delivered or dead-lettered.
type Resync func(ctx context.Context, object string, committed time.Time) error

// resync handles a GAP_OVERFLOW event. It runs on the intake: overflows
// are rare, and holding intake while the window is read keeps the
// checkpoint before the event until its records are in CM, so a crash
// during the resync repeats it. A resync that fails for good becomes a
// dead letter, as without a Resync; one cut short by ctx leaves the event
// unfinished (not checkpointed), and so does one stopped at the org's API
// limit, which also stops the run: the daemon pauses the topic and
// streams the event again afterwards, as for a load.
func (r *run) resync(ctx context.Context, seq replay.Seq, h *pubsub.ChangeEventHeader, reason string) error {
	if r.opts.Resync == nil {
		r.deadLetter(seq, replay.DeadLetter{Object: h.EntityName, Reason: reasonNeedsResync, Error: reason})
		return nil
	}
	r.log.Warn("gap overflow: resynchronising the object over REST", "object", h.EntityName, "since", h.CommitTimestamp)
	err := r.opts.Resync(ctx, h.EntityName, h.CommitTimestamp)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		r.events.add(seq) // never finished: the next holder resyncs again
		return ctx.Err()
	case atAPILimit(err):
		r.events.add(seq) // never finished: resynced again after the pause
		r.fail(err)
		return err
	}
	r.deadLetter(seq, replay.DeadLetter{Object: h.EntityName, Reason: reasonNeedsResync, Error: err.Error()})
	return nil
}
