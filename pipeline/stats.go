package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// TopicSnapshot is what one topic of a Daemon is doing and has done since
// the Daemon was made: counters survive worker restarts and standby
// periods, not process restarts. Billable units are CommentsNew +
// CommentsUpdated (CM bills a comment created, or updated with changed
// text); metadata-only updates are not billed and not counted here.
type TopicSnapshot struct {
	Topic   string
	Objects []string
	State   replay.State // starting, streaming, backfilling, recovering, standby, stopped, failed
	// Holder is the lease holder: this process while it works on the
	// topic, the other instance while this one stands by.
	Holder string
	// Events and Keepalives count the stream's messages; Reconnects the
	// streams re-opened after a failure; OutstandingCredits is how many
	// events the server owes the current stream (0 without one).
	Events, Keepalives, Reconnects, OutstandingCredits int64
	// Comments by what the content hashes decided, counting the stream and
	// the topic's backfills (initial, recovery, resync). UploadFailures are
	// comments CM did not take; DeadLetters the dead letters stored.
	CommentsNew, CommentsUpdated, CommentsUnchanged, CommentsDeleted, UploadFailures, DeadLetters int64
	// CommentsMetadataUpdated counts comments sent because only their
	// metadata (properties, addresses) changed: CM does not bill them.
	CommentsMetadataUpdated int64
	// EventsUnmapped counts change events of objects the mapping does not
	// name (a channel may carry more objects); EventsSkipped counts events
	// and records needing no comment work: no mapped field changed, or a
	// deleted record whose comment is kept. With the comment counts above,
	// they account for every change event the topic received.
	EventsUnmapped, EventsSkipped int64
	// GoneBeforeFetch counts records an event needed fetched that were
	// deleted by then: no comment, their DELETE event follows.
	GoneBeforeFetch int64
	// FetchCalls and RecordsFetched count the stream's REST record reads
	// (each attempt of a Collections retrieve or ID query).
	FetchCalls, RecordsFetched int64
	// CoveredByBackfill counts change events passed without work because
	// they were committed before the topic's initial backfill began
	// (Config.SkipCommittedBefore).
	CoveredByBackfill int64
	// Zero when it never happened in this process. LastCheckpointAt starts
	// at the stored checkpoint's write time once the lease is held.
	LastEventAt, LastKeepaliveAt, LastCheckpointAt time.Time
	// ReplayAge is now minus the commit time of the checkpoint (replay IDs
	// expire at 72 h); Lag is now minus the commit time of the last event
	// received, and 0 once a keepalive arrived after it (the stream is
	// caught up). Both are 0 when unknown.
	ReplayAge, Lag time.Duration
	LastError      string // redacted
}

// topicStats is the live state behind a TopicSnapshot. The hot path
// (every event, outcome and fetch) only touches atomics; the mutex guards
// the rare state, holder and error changes.
type topicStats struct {
	topic   string
	objects []string

	events, keepalives, reconnectsDone                      atomic.Int64
	commentsNew, commentsUpdated, commentsMetadata          atomic.Int64
	commentsUnchanged, commentsDeleted                      atomic.Int64
	uploadFailures, deadLetters, fetchCalls, recordsFetched atomic.Int64
	coveredByBackfill, eventsUnmapped, eventsSkipped        atomic.Int64
	goneBeforeFetch                                         atomic.Int64
	lastEventAt, lastKeepaliveAt, lastEventCommit           atomic.Int64 // unix ns, 0 unknown
	lastCheckpointAt, checkpointCommit                      atomic.Int64 // unix ns, 0 unknown
	sub                                                     atomic.Pointer[pubsub.Subscription]

	// changed wakes the status writer after a state change (capacity 1).
	changed chan struct{}
	// log receives the state changes; incidents the successes that clear
	// an outside failure (nil: none tracked).
	log       *slog.Logger
	incidents *Incidents

	mu          sync.Mutex
	state       replay.State
	holder      string
	lastError   string
	lastErrorAt time.Time
	// loggedState and loggedHolder are the last state change logged, so
	// that a standby retrying every few seconds logs once.
	loggedState  replay.State
	loggedHolder string
}

func newTopicStats(topic string, objects []string, log *slog.Logger, incidents *Incidents) *topicStats {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Starting until a supervisor reports otherwise: a monitor started
	// before Daemon.Run sees a topic that is not ready yet.
	return &topicStats{topic: topic, objects: slices.Clone(objects), changed: make(chan struct{}, 1),
		state: replay.StateStarting, loggedState: replay.StateStarting, log: log, incidents: incidents}
}

// setState records a new state and holder and wakes the status writer.
// A change of state (or of the holder a standby waits for) is logged at
// info, with attrs saying why or from where (failed: at error); starting,
// a step of a few milliseconds between the others, only at debug.
func (s *topicStats) setState(state replay.State, holder string, attrs ...any) {
	s.mu.Lock()
	s.state, s.holder = state, holder
	changed := state != s.loggedState || (state == replay.StateStandby && holder != s.loggedHolder)
	if changed && state != replay.StateStarting {
		s.loggedState, s.loggedHolder = state, holder
	}
	s.mu.Unlock()
	if changed {
		s.logState(state, holder, attrs)
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// logState writes one state change.
func (s *topicStats) logState(state replay.State, holder string, attrs []any) {
	level := slog.LevelInfo
	switch state {
	case replay.StateStarting:
		level = slog.LevelDebug
	case replay.StateFailed:
		level = slog.LevelError
	}
	args := append([]any{"topic", s.topic, "state", string(state)}, attrs...)
	if state == replay.StateStandby {
		if holder == "" {
			holder = "unknown until the next try"
		}
		args = append(args, "lease_holder", holder)
	}
	s.log.Log(context.Background(), level, "topic "+string(state), args...)
}

// note logs an info line about the topic that is not a state change
// (draining, a load's counts).
func (s *topicStats) note(msg string, attrs ...any) {
	s.log.Info(msg, append([]any{"topic", s.topic}, attrs...)...)
}

func (s *topicStats) currentState() replay.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// setError records the last error, redacted. Nil is ignored: the last
// error stays visible until another one replaces it.
func (s *topicStats) setError(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastError, s.lastErrorAt = redact.Text(err.Error()), time.Now()
}

func storeTime(v *atomic.Int64, t time.Time) {
	if !t.IsZero() {
		v.Store(t.UnixNano())
	}
}

func loadTime(v *atomic.Int64) time.Time {
	if n := v.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// message counts one message of the stream.
func (s *topicStats) message(m pubsub.Message, now time.Time) {
	s.incidents.Cleared(FailureStream)
	if m.IsKeepalive() {
		s.keepalives.Add(1)
		storeTime(&s.lastKeepaliveAt, now)
		return
	}
	s.events.Add(1)
	storeTime(&s.lastEventAt, now)
	storeTime(&s.lastEventCommit, commitTimeOf(m))
}

// outcome counts one uploader outcome.
func (s *topicStats) outcome(o uploader.Outcome) {
	switch {
	case o.Delivered():
		s.incidents.Cleared(FailureCM)
		s.action(o.Action, 1)
	case errors.Is(o.Err, uploader.ErrStopped):
		// Not sent because the worker stopped: received again later, not a failure.
	default:
		s.uploadFailures.Add(1)
	}
}

func (s *topicStats) action(a mapper.Action, n int64) {
	switch a {
	case mapper.ActionCreate:
		s.commentsNew.Add(n)
	case mapper.ActionUpdateText:
		s.commentsUpdated.Add(n)
	case mapper.ActionUpdateMetadata:
		s.commentsMetadata.Add(n)
	case mapper.ActionUnchanged:
		s.commentsUnchanged.Add(n)
	case mapper.ActionDelete:
		s.commentsDeleted.Add(n)
	}
}

// backfilled adds what a backfill of the topic's objects did: its uploads
// are the topic's CM usage too.
func (s *topicStats) backfilled(sum backfill.Summary) {
	c := sum.Counts
	s.action(mapper.ActionCreate, int64(c.Created))
	s.action(mapper.ActionUpdateText, int64(c.TextUpdated))
	s.action(mapper.ActionUpdateMetadata, int64(c.MetadataUpdated))
	s.action(mapper.ActionUnchanged, int64(c.Unchanged))
	s.action(mapper.ActionDelete, int64(c.Deleted))
	s.deadLetters.Add(int64(c.DeadLettered))
}

// checkpointed records a checkpoint write (or the stored checkpoint found
// when the lease was taken).
func (s *topicStats) checkpointed(cp replay.Checkpoint, at time.Time) {
	s.incidents.Cleared(FailureStore)
	storeTime(&s.lastCheckpointAt, at)
	storeTime(&s.checkpointCommit, cp.CommitTime)
}

// subscribed makes sub the current stream, whose live figures the
// snapshot reads; ended folds its reconnects into the total.
func (s *topicStats) subscribed(sub *pubsub.Subscription) { s.sub.Store(sub) }

func (s *topicStats) ended(sub *pubsub.Subscription) {
	if s.sub.CompareAndSwap(sub, nil) {
		s.reconnectsDone.Add(sub.Stats().Reconnects)
	}
}

func (s *topicStats) snapshot(now time.Time) TopicSnapshot {
	s.mu.Lock()
	state, holder, lastError := s.state, s.holder, s.lastError
	s.mu.Unlock()
	snap := TopicSnapshot{
		Topic: s.topic, Objects: slices.Clone(s.objects), State: state, Holder: holder,
		Events: s.events.Load(), Keepalives: s.keepalives.Load(), Reconnects: s.reconnectsDone.Load(),
		CommentsNew: s.commentsNew.Load(), CommentsUpdated: s.commentsUpdated.Load(),
		CommentsUnchanged: s.commentsUnchanged.Load(), CommentsDeleted: s.commentsDeleted.Load(),
		UploadFailures: s.uploadFailures.Load(), DeadLetters: s.deadLetters.Load(),
		FetchCalls: s.fetchCalls.Load(), RecordsFetched: s.recordsFetched.Load(), CoveredByBackfill: s.coveredByBackfill.Load(),
		CommentsMetadataUpdated: s.commentsMetadata.Load(),
		EventsUnmapped:          s.eventsUnmapped.Load(), EventsSkipped: s.eventsSkipped.Load(),
		GoneBeforeFetch: s.goneBeforeFetch.Load(),
		LastEventAt:     loadTime(&s.lastEventAt), LastKeepaliveAt: loadTime(&s.lastKeepaliveAt),
		LastCheckpointAt: loadTime(&s.lastCheckpointAt), LastError: lastError,
	}
	if sub := s.sub.Load(); sub != nil {
		st := sub.Stats()
		snap.Reconnects += st.Reconnects
		snap.OutstandingCredits = st.Outstanding
	}
	if c := loadTime(&s.checkpointCommit); !c.IsZero() {
		snap.ReplayAge = max(now.Sub(c), 0)
	}
	if c := loadTime(&s.lastEventCommit); !c.IsZero() && !snap.LastKeepaliveAt.After(snap.LastEventAt) {
		snap.Lag = max(now.Sub(c), 0)
	}
	return snap
}

// status is the document the lease holder writes to the store.
func (s *topicStats) status(now time.Time) replay.Status {
	snap := s.snapshot(now)
	s.mu.Lock()
	errAt := s.lastErrorAt
	s.mu.Unlock()
	metadata := s.commentsMetadata.Load()
	return replay.Status{
		State: snap.State, Holder: snap.Holder,
		LastEventAt: snap.LastEventAt, LastKeepaliveAt: snap.LastKeepaliveAt, LastCheckpointAt: snap.LastCheckpointAt,
		ReplayAge: snap.ReplayAge, Lag: snap.Lag,
		Received: snap.Events, Uploaded: snap.CommentsNew + snap.CommentsUpdated + metadata,
		Unchanged: snap.CommentsUnchanged, DeadLettered: snap.DeadLetters,
		Keepalives: snap.Keepalives, Reconnects: snap.Reconnects,
		New: snap.CommentsNew, Updated: snap.CommentsUpdated, MetadataUpdated: metadata, Deleted: snap.CommentsDeleted,
		UploadFailures: snap.UploadFailures, FetchCalls: snap.FetchCalls, RecordsFetched: snap.RecordsFetched,
		OutstandingCredits: snap.OutstandingCredits,
		LastError:          snap.LastError, LastErrorAt: errAt,
	}
}
