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
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// topicStats is the live state behind a topic's figures (figures.Topic). The hot path
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

	// changed, while a status writer runs, asks it to write after a
	// state change.
	changed atomic.Pointer[func()]
	// onState is Options.StateChanged (nil: none); set before any state.
	onState func()
	// log receives the state changes; incidents the successes that clear
	// an outside failure (nil: none tracked).
	log       *slog.Logger
	incidents *Incidents
	// daily, when set (by the Daemon), counts the sent comments per UTC
	// day in the store.
	daily *dailyTally

	mu          sync.Mutex
	state       replay.State
	stateSince  time.Time
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
	return &topicStats{topic: topic, objects: slices.Clone(objects),
		state: replay.StateStarting, loggedState: replay.StateStarting, log: log, incidents: incidents}
}

// setState records a new state and holder and wakes the status writer.
// A change of state (or of the holder a standby waits for) is logged at
// info, with attrs saying why or from where (failed: at error); starting,
// a step of a few milliseconds between the others, only at debug.
func (s *topicStats) setState(state replay.State, holder string, attrs ...any) {
	s.mu.Lock()
	if state != s.state || s.stateSince.IsZero() {
		s.stateSince = time.Now()
	}
	s.state, s.holder = state, holder
	changed := state != s.loggedState || (state == replay.StateStandby && holder != s.loggedHolder)
	if changed && state != replay.StateStarting {
		s.loggedState, s.loggedHolder = state, holder
	}
	s.mu.Unlock()
	if changed {
		s.logState(state, holder, attrs)
	}
	if poke := s.changed.Load(); poke != nil {
		(*poke)()
	}
	if s.onState != nil {
		s.onState()
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
func (s *topicStats) outcome(o uploader.Outcome[replay.Seq]) {
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
	s.daily.action(a, n)
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

// snapshot is the topic's figures at now.
func (s *topicStats) snapshot(now time.Time) figures.Topic {
	s.mu.Lock()
	state, since, holder, lastError, errAt := s.state, s.stateSince, s.holder, s.lastError, s.lastErrorAt
	s.mu.Unlock()
	snap := figures.Topic{
		Topic: s.topic, Objects: slices.Clone(s.objects), State: state, StateSince: since, Holder: holder,
		Events: s.events.Load(), Keepalives: s.keepalives.Load(), Reconnects: s.reconnectsDone.Load(),
		CommentsNew: s.commentsNew.Load(), CommentsUpdated: s.commentsUpdated.Load(),
		CommentsMetadataUpdated: s.commentsMetadata.Load(),
		CommentsUnchanged:       s.commentsUnchanged.Load(), CommentsDeleted: s.commentsDeleted.Load(),
		UploadFailures: s.uploadFailures.Load(), DeadLetters: s.deadLetters.Load(),
		EventsUnmapped: s.eventsUnmapped.Load(), EventsSkipped: s.eventsSkipped.Load(),
		GoneBeforeFetch: s.goneBeforeFetch.Load(), CoveredByBackfill: s.coveredByBackfill.Load(),
		FetchCalls: s.fetchCalls.Load(), RecordsFetched: s.recordsFetched.Load(),
		LastEventAt: loadTime(&s.lastEventAt), LastKeepaliveAt: loadTime(&s.lastKeepaliveAt),
		LastCheckpointAt: loadTime(&s.lastCheckpointAt), CheckpointCommitAt: loadTime(&s.checkpointCommit),
		LastError: lastError, LastErrorAt: errAt, UpdatedAt: now,
	}
	if sub := s.sub.Load(); sub != nil {
		st := sub.Stats()
		snap.Reconnects += st.Reconnects
		snap.OutstandingCredits = st.Outstanding
	}
	if c := snap.CheckpointCommitAt; !c.IsZero() {
		snap.ReplayAge = max(now.Sub(c), 0)
	}
	if c := loadTime(&s.lastEventCommit); !c.IsZero() && !snap.LastKeepaliveAt.After(snap.LastEventAt) {
		snap.Lag = max(now.Sub(c), 0)
	}
	return snap
}
