package pipeline

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// handle gives one message its tracker position and hands its work out.
// It fails only when ctx ends (Track or a full queue was waiting).
func (r *run) handle(ctx context.Context, m pubsub.Message) error {
	r.stats.message(m, time.Now())
	if m.IsKeepalive() {
		// Commits the stream's position only while nothing is in flight, so
		// a quiet topic's checkpoint does not age past retention.
		r.tracker.TrackIdle(m.Position, time.Now())
		return nil
	}
	seq, err := r.tracker.Track(ctx, positionOf(m), commitTimeOf(m))
	if err != nil {
		return err
	}
	r.events.start(seq, m)
	defer r.events.finish(seq) // the intake's own piece
	if m.Poison != nil {
		r.deadLetter(seq, replay.DeadLetter{Reason: reasonPoison, Error: m.Poison.Error()})
		return nil
	}
	return r.handleEvent(ctx, seq, m.Event)
}

// handleEvent acts on the mapper's plan for a decoded event.
func (r *run) handleEvent(ctx context.Context, seq replay.Seq, ev *pubsub.Event) error {
	h := ev.Header
	if h == nil {
		r.deadLetter(seq, replay.DeadLetter{Reason: reasonNotCDC, Error: "event has no ChangeEventHeader"})
		return nil
	}
	if r.coveredByInitialBackfill(h) {
		r.stats.coveredByBackfill.Add(1)
		return nil
	}
	plan, err := r.opts.Mapper.PlanEvent(changeEventOf(ev))
	if errors.Is(err, mapper.ErrUnknownObject) {
		r.stats.eventsUnmapped.Add(1)
		return nil // a channel may carry objects this deployment does not map
	}
	if err != nil {
		r.deadLetter(seq, replay.DeadLetter{Object: h.EntityName, Reason: reasonUnmappable, Error: err.Error()})
		return nil
	}
	switch {
	case plan.Step == mapper.StepSkip:
		r.stats.eventsSkipped.Add(1)
		return nil
	case plan.Step == mapper.StepMapEvent && r.replayed(h):
		return r.queueFetch(ctx, fetchRequest{seq: seq, object: h.EntityName, ids: h.RecordIDs})
	case plan.Step == mapper.StepMapEvent:
		recs := make([]mapper.Record, 0, len(h.RecordIDs))
		for _, id := range h.RecordIDs {
			recs = append(recs, mapper.Record{Object: h.EntityName, ID: id, Fields: ev.Fields})
		}
		return r.submitInOrder(ctx, seq, recs)
	case plan.Step == mapper.StepDelete, h.ChangeType == pubsub.ChangeGapDelete:
		// A gap delete's record cannot be fetched any more: delete directly.
		recs := make([]mapper.Record, 0, len(h.RecordIDs))
		for _, id := range h.RecordIDs {
			recs = append(recs, mapper.Record{Object: h.EntityName, ID: id, Deleted: true})
		}
		return r.submitInOrder(ctx, seq, recs)
	case plan.Step == mapper.StepFetch:
		return r.queueFetch(ctx, fetchRequest{seq: seq, object: h.EntityName, ids: h.RecordIDs})
	default: // StepBackfill: GAP_OVERFLOW names no records
		return r.resync(ctx, seq, h, plan.Reason)
	}
}

// coveredByInitialBackfill reports whether the change was committed before
// Config.SkipCommittedBefore: the topic's initial backfill read its record
// later, so the event has nothing to add. A change without a commit time
// is never skipped.
func (r *run) coveredByInitialBackfill(h *pubsub.ChangeEventHeader) bool {
	cutoff := r.cfg.SkipCommittedBefore
	return !cutoff.IsZero() && !h.CommitTimestamp.IsZero() && h.CommitTimestamp.Before(cutoff)
}

// replayed reports whether the change was committed before this run
// began while a backfill or an earlier run may already have put a newer
// version of its record into CM (Worker.Run sets began only then). The
// event's payload is the record as it was at the change: mapped from it, a
// created record that changed since would be sent back to its first text,
// billed, and billed again when its next event restores the newest (after
// an initial load that CM faults stretched, that doubled the text updates
// billed). So such an event is fetched instead, like an update: CM gets
// the record's current version, which the content hashes usually show it
// holds already, at the cost of a REST call per FetchMaxIDs records. The
// commit time is on Salesforce's clock and began on this host's: skew only
// moves a few events between a fetch and their payload.
func (r *run) replayed(h *pubsub.ChangeEventHeader) bool {
	return !r.began.IsZero() && !h.CommitTimestamp.IsZero() && h.CommitTimestamp.Before(r.began)
}

// submitInOrder submits records an event carries (or deletes) without a
// fetch, unless an earlier event of one of the records still waits for its
// fetch: then they queue behind it, so that a record read before its
// deletion can never overtake the DELETE and bring the comment back.
func (r *run) submitInOrder(ctx context.Context, seq replay.Seq, recs []mapper.Record) error {
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	if len(recs) == 0 || !r.fetching.any(ids) {
		for _, rec := range recs {
			r.submit(ctx, seq, rec)
		}
		return nil
	}
	return r.queueFetch(ctx, fetchRequest{seq: seq, object: recs[0].Object, ids: ids, carried: recs})
}

// queueFetch hands req to the fetch batcher, as a piece of its event.
func (r *run) queueFetch(ctx context.Context, req fetchRequest) error {
	r.events.add(req.seq) // finished by the fetch batcher
	r.fetching.add(req.ids)
	if r.fetches == nil {
		// The first fetch of this run starts the batcher (intake is the
		// only sender, so this needs no lock).
		r.fetches = make(chan fetchRequest, r.cfg.FetchMaxIDs)
		go func() {
			defer close(r.fetched)
			r.runFetches(r.workCtx)
		}()
	}
	select {
	case r.fetches <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err() // the event stays unfinished: not checkpointed
	}
}

// submit maps one record and queues the result for CM as a piece of seq.
// An unmappable record becomes a dead letter. If the uploader refuses the
// item (stopping), the piece stays open and the event is not checkpointed.
func (r *run) submit(ctx context.Context, seq replay.Seq, rec mapper.Record) {
	res, err := r.opts.Mapper.Map(rec)
	if err != nil {
		r.deadLetter(seq, replay.DeadLetter{Object: rec.Object, RecordID: rec.ID, Reason: reasonUnmappable, Error: err.Error()})
		return
	}
	if res.Kind == mapper.ResultKeep {
		r.stats.eventsSkipped.Add(1)
		return
	}
	r.events.add(seq)
	if err := r.upload.Submit(ctx, uploader.Item[replay.Seq]{Result: res, Token: seq}); err != nil {
		r.log.Debug("submit comment", "comment", res.CommentID, "err", err)
	}
}

// onOutcome finishes a comment's piece once CM holds it or it is dead-
// lettered. It runs on the uploader's goroutines under its report lock, so
// it never waits: a dead letter is only queued here (see deadLetter).
func (r *run) onOutcome(o uploader.Outcome[replay.Seq]) {
	seq := o.Token
	r.stats.outcome(o)
	var fatal *uploader.FatalError
	switch {
	case o.Delivered():
		r.events.finish(seq)
	case o.DeadLettered():
		object, id := recordOfComment(o.CommentID)
		r.deadLetter(seq, replay.DeadLetter{Object: object, RecordID: id, Reason: reasonRejected, Error: o.Err.Error()})
		r.events.finish(seq)
	case errors.As(o.Err, &fatal):
		r.fail(fatal)
	}
	// ErrStopped: not delivered, so the event stays before the checkpoint.
}

// deadLetter queues d for event seq as a piece of its own, which the dead-
// letter writer finishes once the store holds it: the event may pass the
// checkpoint only then. The caller holds a piece of seq, so the event is
// open while its message is read here.
func (r *run) deadLetter(seq replay.Seq, d replay.DeadLetter) {
	r.events.add(seq)
	m := r.events.message(seq)
	d.Topic, d.ReplayID, d.EventTime, d.Attempts = r.cfg.Topic, m.Position, eventTimeOf(m), 1
	d.Error = redact.Text(d.Error)
	r.deadLetters.add(seq, d)
}

// deadLetterStored finishes the piece of a dead letter the store holds.
func (r *run) deadLetterStored(seq replay.Seq) {
	r.stats.deadLetters.Add(1)
	r.events.finish(seq)
}

// positionOf is the message's replay ID; Position is always set by the
// subscription, the fallbacks only guard against an empty one.
func positionOf(m pubsub.Message) []byte {
	switch {
	case len(m.Position) > 0:
		return m.Position
	case m.Event != nil:
		return m.Event.ReplayID
	default:
		return m.Poison.ReplayID
	}
}

// eventTimeOf is when Salesforce committed the change, zero when the
// message has no readable header (a poison event): a dead letter's
// EventTime must not pretend to know it.
func eventTimeOf(m pubsub.Message) time.Time {
	if m.Event != nil && m.Event.Header != nil {
		return m.Event.Header.CommitTimestamp
	}
	return time.Time{}
}

// commitTimeOf is when Salesforce committed the change; the checkpoint
// keeps it to tell how close the replay ID is to expiring.
func commitTimeOf(m pubsub.Message) time.Time {
	if m.Event != nil && m.Event.Header != nil && !m.Event.Header.CommitTimestamp.IsZero() {
		return m.Event.Header.CommitTimestamp
	}
	return time.Now()
}

// changeEventOf is the mapper's view of a decoded event's header.
func changeEventOf(ev *pubsub.Event) mapper.ChangeEvent {
	h := ev.Header
	present := make([]string, 0, len(ev.Fields))
	for name := range ev.Fields {
		present = append(present, name)
	}
	return mapper.ChangeEvent{Object: h.EntityName, ChangeType: h.ChangeType, ChangedFields: h.ChangedFields,
		NulledFields: h.NulledFields, DiffFields: h.DiffFields, PresentFields: present}
}

// recordOfComment recovers the object and record ID from a comment ID made
// by mapper.CommentID ("sf.<Object>.<Id>"; Salesforce IDs and API names are
// never escaped), so a dead letter names the record an operator can look
// up. Anything else is kept whole as the record ID.
func recordOfComment(commentID string) (object, id string) {
	rest, ok := strings.CutPrefix(commentID, "sf.")
	if !ok {
		return "", commentID
	}
	object, id, ok = strings.Cut(rest, ".")
	if !ok || strings.Contains(id, ".") {
		return "", commentID
	}
	return object, id
}
