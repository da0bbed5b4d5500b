package replay

import (
	"time"
	"unicode/utf8"
)

// State is what a topic's worker is doing, as shown by `sfcdc status`.
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

// Status is the monitoring document of one topic, written by the worker
// that holds its lease and read by `sfcdc status`. It is a plain Redis hash
// (see RedisStore for the key and field names) so operators can read it with
// redis-cli.
//
// It has no field for credentials, and the store keeps LastError redacted
// (redact.Text) whatever the caller passed.
type Status struct {
	// Topic is filled in by reads; the key names it, so writes ignore it.
	Topic string
	State State
	// Holder is the lease holder that wrote the document.
	Holder string
	// LastEventAt is when the last change event arrived; LastKeepaliveAt
	// when the last keepalive did (a quiet topic has only keepalives).
	LastEventAt     time.Time
	LastKeepaliveAt time.Time
	// LastCheckpointAt is when the checkpoint was last written.
	LastCheckpointAt time.Time
	// ReplayAge is how old the checkpointed position is (now minus its
	// commit time); replay IDs expire at 72 h.
	ReplayAge time.Duration
	// Lag is how far processing is behind the stream (now minus the commit
	// time of the last event received).
	Lag time.Duration
	// Counters since the process started working on the topic (they
	// survive worker restarts, not process restarts).
	Received     int64 // events received
	Uploaded     int64 // comments CM accepted as created or updated (New + Updated + metadata-only updates)
	Unchanged    int64 // comments skipped because their hashes matched
	DeadLettered int64 // events or records dead-lettered
	Keepalives   int64 // keepalives received
	Reconnects   int64 // streams re-opened after a failure
	// New and Updated are CM's billable units: comments created, and
	// comments updated with changed text. MetadataUpdated (not billed)
	// counts updates of metadata only; Deleted comments removed.
	New, Updated, MetadataUpdated, Deleted int64
	// UploadFailures counts comments CM did not take (refused, or the
	// credentials were rejected); refused ones are dead-lettered too.
	UploadFailures int64
	// FetchCalls and RecordsFetched count the stream's REST record reads.
	FetchCalls, RecordsFetched int64
	// OutstandingCredits is how many events the server owes the stream.
	OutstandingCredits int64
	// LastError is the last error, already redacted; empty if none. The
	// store keeps its first 4 KiB.
	LastError   string
	LastErrorAt time.Time
	// UpdatedAt is when the document was written; set by the store.
	UpdatedAt time.Time
}

// Field names of a stored status document.
const (
	fieldState            = "state"
	fieldHolder           = "holder"
	fieldLastEventAt      = "last_event_at"
	fieldLastKeepaliveAt  = "last_keepalive_at"
	fieldLastCheckpointAt = "last_checkpoint_at"
	fieldReplayAgeMillis  = "replay_age_ms"
	fieldLagMillis        = "lag_ms"
	fieldReceived         = "received"
	fieldUploaded         = "uploaded"
	fieldUnchanged        = "unchanged"
	fieldDeadLettered     = "dead_lettered"
	fieldKeepalives       = "keepalives"
	fieldReconnects       = "reconnects"
	fieldNew              = "new"
	fieldUpdated          = "updated"
	fieldMetadataUpdated  = "metadata_updated"
	fieldDeleted          = "deleted"
	fieldUploadFailures   = "upload_failures"
	fieldFetchCalls       = "fetch_calls"
	fieldRecordsFetched   = "records_fetched"
	fieldOutstanding      = "outstanding_credits"
	fieldLastError        = "last_error"
	fieldLastErrorAt      = "last_error_at"
	fieldUpdatedAt        = "updated_at"
)

// fields returns every field, empty ones included, so a write replaces the
// whole document and no stale field survives.
func (s Status) fields() fields {
	f := fields{
		fieldState:     string(s.State),
		fieldHolder:    s.Holder,
		fieldLastError: storedErrorText(s.LastError, maxStatusErrorBytes),
	}
	f.setTime(fieldLastEventAt, s.LastEventAt)
	f.setTime(fieldLastKeepaliveAt, s.LastKeepaliveAt)
	f.setTime(fieldLastCheckpointAt, s.LastCheckpointAt)
	f.setDuration(fieldReplayAgeMillis, s.ReplayAge)
	f.setDuration(fieldLagMillis, s.Lag)
	f.setInt(fieldReceived, s.Received)
	f.setInt(fieldUploaded, s.Uploaded)
	f.setInt(fieldUnchanged, s.Unchanged)
	f.setInt(fieldDeadLettered, s.DeadLettered)
	for _, c := range s.counters() {
		f.setInt(c.name, *c.dst)
	}
	f.setTime(fieldLastErrorAt, s.LastErrorAt)
	f.setTime(fieldUpdatedAt, s.UpdatedAt)
	return f
}

// statusFromFields decodes a stored status document of topic.
func statusFromFields(topic string, f fields) (Status, error) {
	s := Status{
		Topic:     topic,
		State:     State(f[fieldState]),
		Holder:    f[fieldHolder],
		LastError: f[fieldLastError],
	}
	var err error
	times := []struct {
		name string
		dst  *time.Time
	}{
		{fieldLastEventAt, &s.LastEventAt},
		{fieldLastKeepaliveAt, &s.LastKeepaliveAt},
		{fieldLastCheckpointAt, &s.LastCheckpointAt},
		{fieldLastErrorAt, &s.LastErrorAt},
		{fieldUpdatedAt, &s.UpdatedAt},
	}
	for _, t := range times {
		if *t.dst, err = f.time(t.name); err != nil {
			return s, err
		}
	}
	if s.ReplayAge, err = f.duration(fieldReplayAgeMillis); err != nil {
		return s, err
	}
	if s.Lag, err = f.duration(fieldLagMillis); err != nil {
		return s, err
	}
	counts := append([]counterField{
		{fieldReceived, &s.Received},
		{fieldUploaded, &s.Uploaded},
		{fieldUnchanged, &s.Unchanged},
		{fieldDeadLettered, &s.DeadLettered},
	}, s.counters()...)
	for _, c := range counts {
		if *c.dst, err = f.int(c.name); err != nil {
			return s, err
		}
	}
	return s, nil
}

// counterField names one integer field of a status document.
type counterField struct {
	name string
	dst  *int64
}

// counters lists the counters added after the first four, so fields and
// statusFromFields cannot disagree about them. A document written before
// they existed reads them as zero.
func (s *Status) counters() []counterField {
	return []counterField{
		{fieldKeepalives, &s.Keepalives},
		{fieldReconnects, &s.Reconnects},
		{fieldNew, &s.New},
		{fieldUpdated, &s.Updated},
		{fieldMetadataUpdated, &s.MetadataUpdated},
		{fieldDeleted, &s.Deleted},
		{fieldUploadFailures, &s.UploadFailures},
		{fieldFetchCalls, &s.FetchCalls},
		{fieldRecordsFetched, &s.RecordsFetched},
		{fieldOutstanding, &s.OutstandingCredits},
	}
}

// maxStatusErrorBytes bounds LastError so one huge error cannot bloat the
// document every status read fetches. Longer errors are cut, not refused:
// a status write must not fail because the error it reports is long.
const maxStatusErrorBytes = 4096

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func checkStatus(org, topic string) error {
	return checkOrgName(org, "topic", topic)
}
