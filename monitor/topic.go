package monitor

import "time"

// The states a topic reports (the values of replay.State), in the order
// the topic_state metric lists them.
const (
	StateStarting    = "starting"
	StateStreaming   = "streaming"
	StateBackfilling = "backfilling"
	StateRecovering  = "recovering"
	StatePaused      = "paused"
	StateStandby     = "standby"
	StateStopped     = "stopped"
	StateFailed      = "failed"
)

// knownStates bounds the topic_state metric: each topic reports every
// one of them (1 for its current state, 0 for the others), so a query like
// `sfcdc_topic_state{state="failed"} == 1` never sees an absent series.
var knownStates = []string{StateStarting, StateStreaming, StateBackfilling, StateRecovering, StatePaused, StateStandby, StateStopped, StateFailed}

// Topic is one Pub/Sub topic's figures at the moment of a scrape. The
// counters count since the topic's worker started; Prometheus' rate()
// copes with their reset when it restarts.
type Topic struct {
	Topic   string
	Objects []string
	// State is one of the State constants.
	State  string
	Holder string

	Events, Keepalives, Reconnects, OutstandingCredits int64

	CommentsNew, CommentsUpdated, CommentsUnchanged, CommentsDeleted int64
	UploadFailures, DeadLetters                                      int64

	FetchCalls, RecordsFetched int64

	// Zero times are unknown (nothing happened yet).
	LastEventAt, LastKeepaliveAt, LastCheckpointAt time.Time

	ReplayAge, Lag time.Duration

	// LastError is the last error, already redacted by the caller.
	LastError string
}

// BillableUnits is what CM bills for the topic's uploads: a comment
// created, or updated with changed text.
func (t Topic) BillableUnits() int64 { return t.CommentsNew + t.CommentsUpdated }

// lastHeard is the later of the last event and the last keepalive.
func (t Topic) lastHeard() time.Time {
	if t.LastKeepaliveAt.After(t.LastEventAt) {
		return t.LastKeepaliveAt
	}
	return t.LastEventAt
}

// Process is the figures of the whole process at the moment of a scrape.
type Process struct {
	// RESTCalls counts the Salesforce REST calls sent (each counts against
	// the org's daily allocation); TokenRequests the OAuth token requests.
	RESTCalls, TokenRequests int64
	// APIRequestsUsed and APIRequestsMax are the org's daily API usage as
	// the last Sforce-Limit-Info header reported it; APIUsageKnown is false
	// until a response carried one, and the API metrics are absent then.
	APIRequestsUsed, APIRequestsMax int64
	APIUsageKnown                   bool
}
