package figures

import "time"

// State is what a topic's worker is doing.
type State string

// The states a worker reports.
const (
	StateStarting    State = "starting"    // acquiring the lease, reading the checkpoint
	StateStreaming   State = "streaming"   // subscribed, events flowing or keepalives arriving
	StateBackfilling State = "backfilling" // reading records over REST (initial load)
	StateRecovering  State = "recovering"  // the stream could not resume; a REST backfill covers the gap
	StatePaused      State = "paused"      // a load stopped at the org's API budget; LastError says when it resumes
	StateStandby     State = "standby"     // another instance holds the lease
	StateStopped     State = "stopped"     // shut down cleanly
	StateFailed      State = "failed"      // stopped by a fatal error; see LastError
)

// States lists every state, in the order the sfcdc_topic_state metric
// reports them.
var States = []State{StateStarting, StateStreaming, StateBackfilling, StateRecovering, StatePaused, StateStandby, StateStopped, StateFailed}

// Topic is one Pub/Sub topic's figures at one instant (UpdatedAt). The
// counters count since the process began working on the topic: they
// survive worker restarts and standby periods, not process restarts
// (Prometheus' rate() copes with that reset).
//
// The zero value of a time or a duration means unknown (it did not happen
// in this process yet), never "now" or "1970".
type Topic struct {
	Topic   string
	Objects []string // the objects the topic carries; not stored by replay
	State   State
	// StateSince is when the topic entered State.
	StateSince time.Time
	// Holder is the lease holder: this process while it works on the
	// topic, the other instance while this one stands by.
	Holder string

	// Events and Keepalives count the stream's messages; Reconnects the
	// streams re-opened after a failure; OutstandingCredits is how many
	// events the server owes the current stream (0 without one).
	Events, Keepalives, Reconnects, OutstandingCredits int64

	// Comments by what the content hashes and CM decided, counting the
	// stream and the topic's backfills (initial, recovery, resync).
	// CommentsNew and CommentsUpdated (text changed) are CM's billable
	// units; CommentsMetadataUpdated were sent because only their metadata
	// changed (not billed).
	CommentsNew, CommentsUpdated, CommentsMetadataUpdated, CommentsUnchanged, CommentsDeleted int64
	// UploadFailures are comments CM did not take (refused, or the
	// credentials were rejected); DeadLetters the dead letters stored.
	UploadFailures, DeadLetters int64

	// EventsUnmapped counts change events of objects the mapping does not
	// name; EventsSkipped events and records needing no comment work (no
	// mapped field changed, or a deleted record whose comment is kept);
	// GoneBeforeFetch records deleted before their fetch; CoveredByBackfill
	// events passed because the topic's initial backfill covered them.
	EventsUnmapped, EventsSkipped, GoneBeforeFetch, CoveredByBackfill int64

	// FetchCalls and RecordsFetched count the stream's REST record reads.
	FetchCalls, RecordsFetched int64

	// LastEventAt is when the last change event arrived, LastKeepaliveAt
	// the last keepalive (a quiet topic has only keepalives);
	// LastCheckpointAt when the checkpoint was last written (from the
	// stored checkpoint once the lease is held).
	LastEventAt, LastKeepaliveAt, LastCheckpointAt time.Time
	// CheckpointCommitAt is the commit time of the checkpointed event:
	// replay IDs expire 72 h after it.
	CheckpointCommitAt time.Time
	// ReplayAge is how old the checkpointed position was at UpdatedAt
	// (UpdatedAt minus CheckpointCommitAt); Lag is how far processing was
	// behind the stream (UpdatedAt minus the commit time of the last event
	// received), 0 once a keepalive arrived after it (caught up).
	ReplayAge, Lag time.Duration

	// LastError is the last error, redacted; empty if none. It stays until
	// another error replaces it.
	LastError   string
	LastErrorAt time.Time

	// UpdatedAt is when the figures were taken: the snapshot's instant, or
	// when the status document was written (set by the store). The status
	// writer rewrites it every few seconds, so its age is the heartbeat of
	// the instance that holds the topic.
	UpdatedAt time.Time
}

// BillableUnits is what CM bills for the topic's uploads: a comment
// created, or updated with changed text.
func (t Topic) BillableUnits() int64 { return t.CommentsNew + t.CommentsUpdated }

// Uploaded is every comment CM accepted as created or updated, metadata
// only updates included.
func (t Topic) Uploaded() int64 {
	return t.CommentsNew + t.CommentsUpdated + t.CommentsMetadataUpdated
}

// LastHeard is the later of the last event and the last keepalive: when
// the stream last showed it is alive (zero: never).
func (t Topic) LastHeard() time.Time {
	if t.LastKeepaliveAt.After(t.LastEventAt) {
		return t.LastKeepaliveAt
	}
	return t.LastEventAt
}

// ReplayAgeAt is how old the checkpointed position is at now, and whether
// that is known: from CheckpointCommitAt when set, else ReplayAge aged by
// the time since UpdatedAt (the position cannot have become younger
// without a newer document). Never negative.
func (t Topic) ReplayAgeAt(now time.Time) (time.Duration, bool) {
	switch {
	case !t.CheckpointCommitAt.IsZero():
		return max(now.Sub(t.CheckpointCommitAt), 0), true
	case t.ReplayAge <= 0:
		return 0, false
	case t.UpdatedAt.IsZero():
		return t.ReplayAge, true
	}
	return t.ReplayAge + max(now.Sub(t.UpdatedAt), 0), true
}

// Total sums the counters of topics (the times, states and names are left
// zero): what a process did across its topics.
func Total(topics []Topic) Topic {
	var sum Topic
	for _, t := range topics {
		sum.Events += t.Events
		sum.Keepalives += t.Keepalives
		sum.Reconnects += t.Reconnects
		sum.OutstandingCredits += t.OutstandingCredits
		sum.CommentsNew += t.CommentsNew
		sum.CommentsUpdated += t.CommentsUpdated
		sum.CommentsMetadataUpdated += t.CommentsMetadataUpdated
		sum.CommentsUnchanged += t.CommentsUnchanged
		sum.CommentsDeleted += t.CommentsDeleted
		sum.UploadFailures += t.UploadFailures
		sum.DeadLetters += t.DeadLetters
		sum.EventsUnmapped += t.EventsUnmapped
		sum.EventsSkipped += t.EventsSkipped
		sum.GoneBeforeFetch += t.GoneBeforeFetch
		sum.CoveredByBackfill += t.CoveredByBackfill
		sum.FetchCalls += t.FetchCalls
		sum.RecordsFetched += t.RecordsFetched
	}
	return sum
}
