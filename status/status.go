package status

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/replay"
)

// Topic is one topic's row of `sfcdc status`; its JSON keys are stable.
// Times are RFC 3339 in UTC, null when unknown; durations are seconds.
type Topic struct {
	Org        string     `json:"org"`
	Topic      string     `json:"topic"`
	Configured bool       `json:"configured"`
	State      string     `json:"state"`
	Holder     string     `json:"holder"`
	UpdatedAt  *time.Time `json:"updated_at"`
	Stale      bool       `json:"stale"`

	LastEventAt      *time.Time `json:"last_event_at"`
	LastKeepaliveAt  *time.Time `json:"last_keepalive_at"`
	LastCheckpointAt *time.Time `json:"last_checkpoint_at"`
	Checkpoint       string     `json:"checkpoint"` // ok, none, vanished
	ReplayID         string     `json:"replay_id"`  // hex
	CommitTime       *time.Time `json:"commit_time"`
	// ReplayAgeSeconds is null when there is no checkpoint to age.
	ReplayAgeSeconds *float64 `json:"replay_age_seconds"`
	ReplayExpired    bool     `json:"replay_expired"`
	LagSeconds       float64  `json:"lag_seconds"`

	// Counters since the instance started working on the topic.
	Received           int64 `json:"received"`
	Keepalives         int64 `json:"keepalives"`
	Reconnects         int64 `json:"reconnects"`
	OutstandingCredits int64 `json:"outstanding_credits"`
	Uploaded           int64 `json:"uploaded"`
	New                int64 `json:"new"`
	Updated            int64 `json:"updated"`
	MetadataUpdated    int64 `json:"metadata_updated"`
	Unchanged          int64 `json:"unchanged"`
	Deleted            int64 `json:"deleted"`
	// BillableUnits is New + Updated: CM bills a comment created, or
	// updated with changed text.
	BillableUnits  int64 `json:"billable_units"`
	UploadFailures int64 `json:"upload_failures"`
	DeadLettered   int64 `json:"dead_lettered"`
	FetchCalls     int64 `json:"fetch_calls"`
	RecordsFetched int64 `json:"records_fetched"`
	// What became of events that needed no comment work (figures.Topic).
	EventsUnmapped    int64 `json:"events_unmapped"`
	EventsSkipped     int64 `json:"events_skipped"`
	GoneBeforeFetch   int64 `json:"gone_before_fetch"`
	CoveredByBackfill int64 `json:"covered_by_backfill"`
	OrgDeadLetters    int   `json:"org_dead_letters"`
	// OrgParkedDeadLetters are those of OrgDeadLetters the automatic
	// retrier gave up on (see `sfcdc deadletters`).
	OrgParkedDeadLetters int `json:"org_parked_dead_letters"`

	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
	// Ready and NotReady are the verdict /readyz gives the same figures
	// (health.Judge): a stopped topic is not ready, a paused one is.
	Ready    bool   `json:"ready"`
	NotReady string `json:"not_ready"`
	// Warnings are the flags of the table's NOTES, in words.
	Warnings []string `json:"warnings"`

	// ReplayExpiring is health's warning that the replay position nears
	// the retention (the table marks the replay age cell).
	ReplayExpiring bool `json:"-"`
}

// StateNone marks a configured topic without a status document: no
// instance has run it yet.
const StateNone = "none"

// Report is an org's topics, sorted, and its dead-letter counts.
type Report struct {
	Org    string
	Topics []Topic
	// DeadLetters are the org's dead letters, ParkedDeadLetters those of
	// them the automatic retrier gave up on.
	DeadLetters, ParkedDeadLetters int
}

// Read reads the status and checkpoint of every topic of org that has a
// status, and of every configured topic (when any has one), plus the org's
// dead-letter counts, and judges each topic as /readyz does (policy).
func Read(ctx context.Context, store replay.Store, org string, configured []string, policy health.Policy, now time.Time) (Report, error) {
	rep := Report{Org: org}
	statuses, err := store.Statuses(ctx, org)
	if err != nil {
		return rep, fmt.Errorf("read the topics' status: %w", err)
	}
	if rep.DeadLetters, err = store.CountDeadLetters(ctx, org); err != nil {
		return rep, fmt.Errorf("count dead letters: %w", err)
	}
	if rep.ParkedDeadLetters, err = store.CountParkedDeadLetters(ctx, org); err != nil {
		return rep, fmt.Errorf("count parked dead letters: %w", err)
	}
	byTopic := map[string]replay.Status{}
	var topics []string
	for _, st := range statuses {
		byTopic[st.Topic] = st
		topics = append(topics, st.Topic)
	}
	if len(statuses) > 0 {
		// Configured topics without a status are shown too, so a topic no
		// worker ever picked up does not go unnoticed next to running ones.
		topics = append(topics, configured...)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	rep.Topics = make([]Topic, 0, len(topics))
	for _, topic := range topics {
		st := byTopic[topic]
		st.Topic = topic
		cp, err := readStatusCheckpoint(ctx, store, org, &st)
		if err != nil {
			return rep, err
		}
		row := newTopicStatus(org, st, health.Judge(st, now, policy))
		row.Configured = slices.Contains(configured, topic)
		row.OrgDeadLetters, row.OrgParkedDeadLetters = rep.DeadLetters, rep.ParkedDeadLetters
		row.addCheckpoint(cp)
		rep.Topics = append(rep.Topics, row)
	}
	return rep, nil
}

// statusCheckpoint is what the store holds as the topic's checkpoint.
type statusCheckpoint struct {
	state string // ok, none, vanished
	cp    replay.Checkpoint
}

// readStatusCheckpoint reads the topic's checkpoint and brings st's replay
// position up to date with it: the age counts from the checkpointed
// event's commit time, or without one from when the checkpoint was
// written (a lower bound). Without a checkpoint the worker's last reported
// position is carried forward; a vanished one has no age.
func readStatusCheckpoint(ctx context.Context, s replay.Store, org string, st *figures.Topic) (statusCheckpoint, error) {
	cp, err := s.Checkpoint(ctx, org, st.Topic)
	switch {
	case errors.Is(err, replay.ErrNotFound):
		return statusCheckpoint{state: "none"}, nil
	case errors.Is(err, replay.ErrCheckpointVanished):
		st.CheckpointCommitAt, st.ReplayAge = time.Time{}, 0
		return statusCheckpoint{state: "vanished"}, nil
	case err != nil:
		return statusCheckpoint{}, fmt.Errorf("read the checkpoint of %s: %w", st.Topic, err)
	}
	st.CheckpointCommitAt = cp.CommitTime
	if st.CheckpointCommitAt.IsZero() {
		st.CheckpointCommitAt = cp.WrittenAt
	}
	if cp.WrittenAt.After(st.LastCheckpointAt) {
		st.LastCheckpointAt = cp.WrittenAt
	}
	return statusCheckpoint{state: "ok", cp: cp}, nil
}

// newTopicStatus is the row of st (State empty: no status document) with
// health's verdict j.
func newTopicStatus(org string, st figures.Topic, j health.Judgement) Topic {
	row := Topic{Org: org, Topic: st.Topic, State: string(st.State), Holder: st.Holder, Warnings: j.Warnings,
		Stale: j.Stale, ReplayExpired: j.ReplayExpired, ReplayExpiring: j.ReplayExpiring, Ready: j.Ready, NotReady: j.NotReady}
	if st.State == "" {
		row.State = StateNone
	}
	row.UpdatedAt, row.LastEventAt, row.LastKeepaliveAt = timePtr(st.UpdatedAt), timePtr(st.LastEventAt), timePtr(st.LastKeepaliveAt)
	row.LastCheckpointAt, row.LastErrorAt = timePtr(st.LastCheckpointAt), timePtr(st.LastErrorAt)
	if j.ReplayAgeKnown {
		secs := j.ReplayAge.Seconds()
		row.ReplayAgeSeconds = &secs
	}
	row.LagSeconds = st.Lag.Seconds()
	row.Received, row.Keepalives, row.Reconnects, row.OutstandingCredits = st.Events, st.Keepalives, st.Reconnects, st.OutstandingCredits
	row.Uploaded, row.New, row.Updated, row.MetadataUpdated = st.Uploaded(), st.CommentsNew, st.CommentsUpdated, st.CommentsMetadataUpdated
	row.Unchanged, row.Deleted, row.BillableUnits = st.CommentsUnchanged, st.CommentsDeleted, st.BillableUnits()
	row.UploadFailures, row.DeadLettered = st.UploadFailures, st.DeadLetters
	row.FetchCalls, row.RecordsFetched = st.FetchCalls, st.RecordsFetched
	row.EventsUnmapped, row.EventsSkipped = st.EventsUnmapped, st.EventsSkipped
	row.GoneBeforeFetch, row.CoveredByBackfill = st.GoneBeforeFetch, st.CoveredByBackfill
	row.LastError = st.LastError
	return row
}

// addCheckpoint shows the stored checkpoint.
func (row *Topic) addCheckpoint(c statusCheckpoint) {
	row.Checkpoint = c.state
	switch c.state {
	case "vanished":
		row.Warnings = append(row.Warnings, "checkpoint vanished: the next run recovers by backfill")
	case "ok":
		row.ReplayID, row.CommitTime = hex.EncodeToString(c.cp.ReplayID), timePtr(c.cp.CommitTime)
	}
}

// timePtr is t in UTC, nil when unknown (JSON null).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
