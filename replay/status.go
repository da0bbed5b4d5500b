package replay

import (
	"time"
	"unicode/utf8"

	"github.com/sfcdc/sfcdc/figures"
)

// State is what a topic's worker is doing, as shown by `sfcdc status`.
type State = figures.State

// The states a worker reports (see figures).
const (
	StateStarting    = figures.StateStarting
	StateStreaming   = figures.StateStreaming
	StateBackfilling = figures.StateBackfilling
	StateRecovering  = figures.StateRecovering
	StatePaused      = figures.StatePaused
	StateStandby     = figures.StateStandby
	StateStopped     = figures.StateStopped
	StateFailed      = figures.StateFailed
)

// Status is the monitoring document of one topic: its figures, written by
// the worker that holds its lease and read by `sfcdc status`. It is a
// plain Redis hash (see RedisStore for the key and the field names below)
// so operators and platform teams can read it with redis-cli; the field
// names are a public contract (README, "sfcdc status").
//
// Writes ignore Topic (the key names it) and Objects, and stamp UpdatedAt.
// It has no field for credentials, and the store keeps LastError redacted
// (redact.Text) whatever the caller passed.
type Status = figures.Topic

// Field names of a stored status document.
const (
	fieldState             = "state"
	fieldHolder            = "holder"
	fieldLastEventAt       = "last_event_at"
	fieldLastKeepaliveAt   = "last_keepalive_at"
	fieldLastCheckpointAt  = "last_checkpoint_at"
	fieldReplayAgeMillis   = "replay_age_ms"
	fieldLagMillis         = "lag_ms"
	fieldReceived          = "received"
	fieldUploaded          = "uploaded"
	fieldUnchanged         = "unchanged"
	fieldDeadLettered      = "dead_lettered"
	fieldKeepalives        = "keepalives"
	fieldReconnects        = "reconnects"
	fieldNew               = "new"
	fieldUpdated           = "updated"
	fieldMetadataUpdated   = "metadata_updated"
	fieldDeleted           = "deleted"
	fieldUploadFailures    = "upload_failures"
	fieldFetchCalls        = "fetch_calls"
	fieldRecordsFetched    = "records_fetched"
	fieldOutstanding       = "outstanding_credits"
	fieldEventsUnmapped    = "events_unmapped"
	fieldEventsSkipped     = "events_skipped"
	fieldGoneBeforeFetch   = "gone_before_fetch"
	fieldCoveredByBackfill = "covered_by_backfill"
	fieldStateSince        = "state_since"
	fieldCheckpointCommit  = "checkpoint_commit_at"
	fieldLastError         = "last_error"
	fieldLastErrorAt       = "last_error_at"
	fieldUpdatedAt         = "updated_at"
)

// statusFields returns every field, empty ones included, so a write
// replaces the whole document and no stale field survives. "uploaded" is
// written for the readers of the document (New + Updated +
// MetadataUpdated); reads derive it again from those three.
func statusFields(s Status) fields {
	f := fields{
		fieldState:     string(s.State),
		fieldHolder:    s.Holder,
		fieldLastError: storedErrorText(s.LastError, maxStatusErrorBytes),
	}
	f.setInt(fieldUploaded, s.Uploaded())
	for _, t := range statusTimes(&s) {
		f.setTime(t.name, *t.dst)
	}
	f.setDuration(fieldReplayAgeMillis, s.ReplayAge)
	f.setDuration(fieldLagMillis, s.Lag)
	for _, c := range statusCounters(&s) {
		f.setInt(c.name, *c.dst)
	}
	return f
}

// statusFromFields decodes a stored status document of topic. A field
// missing from an older document reads as zero.
func statusFromFields(topic string, f fields) (Status, error) {
	s := Status{
		Topic:     topic,
		State:     State(f[fieldState]),
		Holder:    f[fieldHolder],
		LastError: f[fieldLastError],
	}
	var err error
	for _, t := range statusTimes(&s) {
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
	for _, c := range statusCounters(&s) {
		if *c.dst, err = f.int(c.name); err != nil {
			return s, err
		}
	}
	return s, nil
}

// timeField names one time field of a status document.
type timeField struct {
	name string
	dst  *time.Time
}

// statusTimes lists the time fields, so statusFields and statusFromFields
// cannot disagree about them.
func statusTimes(s *Status) []timeField {
	return []timeField{
		{fieldLastEventAt, &s.LastEventAt},
		{fieldLastKeepaliveAt, &s.LastKeepaliveAt},
		{fieldLastCheckpointAt, &s.LastCheckpointAt},
		{fieldCheckpointCommit, &s.CheckpointCommitAt},
		{fieldStateSince, &s.StateSince},
		{fieldLastErrorAt, &s.LastErrorAt},
		{fieldUpdatedAt, &s.UpdatedAt},
	}
}

// counterField names one integer field of a status document.
type counterField struct {
	name string
	dst  *int64
}

// statusCounters lists the counters with their stored names: the names
// the document had before figures.Topic named them (received for Events,
// dead_lettered for DeadLetters, new for CommentsNew, …) stay, so the
// readers of the document are not broken.
func statusCounters(s *Status) []counterField {
	return []counterField{
		{fieldReceived, &s.Events},
		{fieldUnchanged, &s.CommentsUnchanged},
		{fieldDeadLettered, &s.DeadLetters},
		{fieldKeepalives, &s.Keepalives},
		{fieldReconnects, &s.Reconnects},
		{fieldNew, &s.CommentsNew},
		{fieldUpdated, &s.CommentsUpdated},
		{fieldMetadataUpdated, &s.CommentsMetadataUpdated},
		{fieldDeleted, &s.CommentsDeleted},
		{fieldUploadFailures, &s.UploadFailures},
		{fieldFetchCalls, &s.FetchCalls},
		{fieldRecordsFetched, &s.RecordsFetched},
		{fieldOutstanding, &s.OutstandingCredits},
		{fieldEventsUnmapped, &s.EventsUnmapped},
		{fieldEventsSkipped, &s.EventsSkipped},
		{fieldGoneBeforeFetch, &s.GoneBeforeFetch},
		{fieldCoveredByBackfill, &s.CoveredByBackfill},
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

// TopicStatus is one topic's status document to write (SaveStatuses).
type TopicStatus struct {
	Org, Topic string
	Status     Status
}

func checkStatus(org, topic string) error {
	return checkOrgName(org, "topic", topic)
}
