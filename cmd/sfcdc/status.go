package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/spf13/cobra"
)

// maxTableError keeps the table readable; --json has the whole error.
const maxTableError = 80

// statusFlags are the knobs of `sfcdc status`.
type statusFlags struct {
	configPath string
	json       bool
}

func newStatusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status --config FILE [--json]",
		Short: "Show what every topic's worker is doing, from the status the workers keep in the store",
		Long: "Reads the status document each topic's worker writes to the configured store, with the topic's\n" +
			"checkpoint, and prints one row per topic: state, lease holder, last event, last checkpoint, replay\n" +
			"age against the 72 h retention (warned from 48 h), lag, counters and the last error. A status not\n" +
			"rewritten for 2 minutes while its topic should be running is flagged stale. The org's dead-letter\n" +
			"count follows, with how many are parked (see `sfcdc deadletters`). Exit code 0 whatever the topics' states.\n" +
			"It needs no Salesforce: the org is salesforce.tenant_id when set, else the org ID that\n" +
			"`sfcdc run` and `sfcdc backfill` stored in the store when they connected.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON array, one object per topic")
	return cmd
}

// topicStatus is one row of `sfcdc status`; its JSON keys are stable.
// Times are RFC 3339 in UTC, null when unknown; durations are seconds.
type topicStatus struct {
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

	// replayExpiring marks the replay age cell (health.Judgement).
	replayExpiring bool
}

// stateNone marks a configured topic without a status document: no
// instance has run it yet.
const stateNone = "none"

func runStatus(cmd *cobra.Command, f statusFlags) error {
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	rows, deadLetters, err := collectStatus(ctx, t, time.Now())
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	printStatusTable(w, t.org, rows, deadLetters, time.Now())
	return nil
}

// deadLetterCounts are the org's dead letters, and how many are parked.
type deadLetterCounts struct{ total, parked int }

// collectStatus reads the status and checkpoint of every topic that has a
// status, and of every configured topic, plus the org's dead-letter counts.
func collectStatus(ctx context.Context, t *replayTarget, now time.Time) ([]topicStatus, deadLetterCounts, error) {
	var deadLetters deadLetterCounts
	statuses, err := t.store.Statuses(ctx, t.org)
	if err != nil {
		return nil, deadLetters, fmt.Errorf("read the topics' status: %w", err)
	}
	if deadLetters.total, err = t.store.CountDeadLetters(ctx, t.org); err != nil {
		return nil, deadLetters, fmt.Errorf("count dead letters: %w", err)
	}
	if deadLetters.parked, err = t.store.CountParkedDeadLetters(ctx, t.org); err != nil {
		return nil, deadLetters, fmt.Errorf("count parked dead letters: %w", err)
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
		topics = append(topics, t.topics...)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	rows := make([]topicStatus, 0, len(topics))
	for _, topic := range topics {
		st := byTopic[topic]
		st.Topic = topic
		cp, err := readStatusCheckpoint(ctx, t.store, t.org, &st)
		if err != nil {
			return nil, deadLetters, err
		}
		row := newTopicStatus(t.org, st, health.Judge(st, now, t.health))
		row.Configured = slices.Contains(t.topics, topic)
		row.OrgDeadLetters, row.OrgParkedDeadLetters = deadLetters.total, deadLetters.parked
		row.addCheckpoint(cp)
		rows = append(rows, row)
	}
	return rows, deadLetters, nil
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
func newTopicStatus(org string, st figures.Topic, j health.Judgement) topicStatus {
	row := topicStatus{Org: org, Topic: st.Topic, State: string(st.State), Holder: st.Holder, Warnings: j.Warnings,
		Stale: j.Stale, ReplayExpired: j.ReplayExpired, replayExpiring: j.ReplayExpiring, Ready: j.Ready, NotReady: j.NotReady}
	if st.State == "" {
		row.State = stateNone
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
func (row *topicStatus) addCheckpoint(c statusCheckpoint) {
	row.Checkpoint = c.state
	switch c.state {
	case "vanished":
		row.Warnings = append(row.Warnings, "checkpoint vanished: the next run recovers by backfill")
	case "ok":
		row.ReplayID, row.CommitTime = hex.EncodeToString(c.cp.ReplayID), timePtr(c.cp.CommitTime)
	}
}

func printStatusTable(w io.Writer, org string, rows []topicStatus, deadLetters deadLetterCounts, now time.Time) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "org %s: no instance has run yet (no topic status in the store); start one with `sfcdc run --config FILE`\n", org)
		fmt.Fprintf(w, "dead letters: %d (%d parked)\n", deadLetters.total, deadLetters.parked)
		return
	}
	fmt.Fprintf(w, "org %s, replay retention %s\n", org, shortDuration(health.ReplayRetention))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSTATE\tHOLDER\tLAST EVENT\tLAST KEEPALIVE\tLAST CHECKPOINT\tREPLAY AGE\tLAG\tRECEIVED\tUPLOADED\tUNCHANGED\tDELETED\tDEAD\tRECONNECTS\tLAST ERROR")
	for _, r := range rows {
		state := r.State
		if r.Stale {
			state += " (stale)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n",
			r.Topic, state, orDash(r.Holder), ago(r.LastEventAt, now), ago(r.LastKeepaliveAt, now), ago(r.LastCheckpointAt, now),
			replayAgeCell(r), lagCell(r), r.Received, r.Uploaded, r.Unchanged, r.Deleted, r.DeadLettered, r.Reconnects,
			orDash(oneLine(r.LastError, maxTableError)))
	}
	_ = tw.Flush()
	for _, r := range rows {
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "%s: %s\n", r.Topic, warning)
		}
	}
	hint := ""
	if deadLetters.total > 0 {
		hint = "; `sfcdc deadletters list --config FILE` shows them"
	}
	fmt.Fprintf(w, "dead letters: %d (%d parked)%s\n", deadLetters.total, deadLetters.parked, hint)
}

func replayAgeCell(r topicStatus) string {
	if r.ReplayAgeSeconds == nil {
		return "-"
	}
	age := time.Duration(*r.ReplayAgeSeconds * float64(time.Second))
	switch {
	case r.ReplayExpired:
		return shortDuration(age) + " EXPIRED"
	case r.replayExpiring:
		return shortDuration(age) + " (expires in " + shortDuration(health.ReplayRetention-age) + ")"
	}
	return shortDuration(age)
}

func lagCell(r topicStatus) string {
	if r.State == stateNone {
		return "-"
	}
	return shortDuration(time.Duration(r.LagSeconds * float64(time.Second)))
}

// ago is a relative time such as "3s ago", or "never".
func ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	if d < 0 {
		return "in " + shortDuration(-d) // clock skew between hosts
	}
	return shortDuration(d) + " ago"
}

// shortDuration is d in at most two units: 45s, 4m10s, 2h5m, 3d4h.
func shortDuration(d time.Duration) string { return health.Duration(d) }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table cell on one line and at most n runes long.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
