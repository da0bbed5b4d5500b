package deadletter

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
)

// The dead letters as `sfcdc deadletters` prints them: the table and the
// JSON of list, the line naming one dead letter, and what a retry did.

// maxTableError keeps the table readable; the JSON has the whole error.
const maxTableError = 80

// JSONEntry is one dead letter of `sfcdc deadletters list --json`; its
// keys are stable. The body, if one was kept, is not printed (it may hold
// personal data): only its size.
type JSONEntry struct {
	ID        string     `json:"id"`
	At        time.Time  `json:"at"`
	EventTime *time.Time `json:"event_time"`
	RetriedAt *time.Time `json:"retried_at"`
	// NextAttemptAt is when the automatic retrier tries it next (null:
	// RetryAfter after at, or never once parked).
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	Parked        bool       `json:"parked"`
	Topic         string     `json:"topic"`
	Object        string     `json:"object"`
	RecordID      string     `json:"record_id"`
	ReplayID      string     `json:"replay_id"` // hex
	Reason        string     `json:"reason"`
	Error         string     `json:"error"`
	Attempts      int        `json:"attempts"`
	BodyBytes     int        `json:"body_bytes"`
}

// NewJSONEntry is d's JSON entry, its times in UTC.
func NewJSONEntry(d replay.DeadLetter) JSONEntry {
	return JSONEntry{
		ID: d.ID, At: d.At.UTC(), EventTime: utcOrNil(d.EventTime), RetriedAt: utcOrNil(d.RetriedAt),
		NextAttemptAt: utcOrNil(d.NextAttemptAt), Parked: d.Parked,
		Topic: d.Topic, Object: d.Object, RecordID: d.RecordID, ReplayID: hex.EncodeToString(d.ReplayID),
		Reason: d.Reason, Error: d.Error, Attempts: d.Attempts, BodyBytes: len(d.Body),
	}
}

// WriteJSON writes dls as an indented JSON array of JSONEntry.
func WriteJSON(w io.Writer, dls []replay.DeadLetter) error {
	out := make([]JSONEntry, len(dls))
	for i, d := range dls {
		out[i] = NewJSONEntry(d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteTable writes the dead letters shown (of total in org) as a table,
// one row each, then how many of how many it showed.
func WriteTable(w io.Writer, org string, shown []replay.DeadLetter, total int) {
	if len(shown) == 0 {
		fmt.Fprintf(w, "org %s has no dead letters\n", org)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEAD-LETTERED\tEVENT TIME\tTOPIC/OBJECT\tRECORD/REPLAY ID\tREASON\tATTEMPTS\tSTATE\tERROR")
	for _, d := range shown {
		event := "-"
		if !d.EventTime.IsZero() {
			event = d.EventTime.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.At.UTC().Format(time.RFC3339), event,
			Source(d), Subject(d), d.Reason, d.Attempts, State(d), quote.Cell(d.Error, maxTableError))
	}
	_ = tw.Flush()
	more := ""
	if len(shown) < total {
		more = "; --limit 0 shows all"
	}
	fmt.Fprintf(w, "showing %d of %d dead letters of org %s%s\n", len(shown), total, org, more)
}

// State is "parked", or when the automatic retrier tries the dead letter
// next ("retrying" when no failed retry scheduled it yet).
func State(d replay.DeadLetter) string {
	switch {
	case d.Parked:
		return "parked"
	case d.NextAttemptAt.IsZero():
		return "retrying"
	}
	return "next " + d.NextAttemptAt.UTC().Format(time.RFC3339)
}

// Source is the object, or the topic of an event without one.
func Source(d replay.DeadLetter) string {
	if d.Object != "" {
		return d.Object
	}
	return d.Topic
}

// Subject is the record ID, or the replay ID in hex.
func Subject(d replay.DeadLetter) string {
	if d.RecordID != "" {
		return d.RecordID
	}
	return "replay " + hex.EncodeToString(d.ReplayID)
}

// Describe names a dead letter in one line of output.
func Describe(d replay.DeadLetter) string {
	return fmt.Sprintf("%s %s: %s, %d attempts, dead-lettered %s", Source(d), Subject(d),
		d.Reason, d.Attempts, d.At.UTC().Format(time.RFC3339))
}

// WriteResult writes one line about a settled dead letter of a Retry. The
// detail is redacted: a server's answer may repeat a credential.
func WriteResult(w io.Writer, res Result) {
	id := res.DeadLetter.ID
	res.Detail = redact.Text(res.Detail)
	switch {
	case res.Outcome == Done:
		fmt.Fprintf(w, "%s: %s; dead letter deleted\n", id, res.Detail)
	case res.Outcome == Skipped:
		fmt.Fprintf(w, "%s: skipped: %s\n", id, res.Detail)
	case res.Outcome == Interrupted:
		fmt.Fprintf(w, "%s: %s; kept unchanged\n", id, res.Detail)
	case res.Gone:
		fmt.Fprintf(w, "%s: failed again (%s), and the dead letter is gone meanwhile\n", id, res.Detail)
	case res.After.Parked:
		fmt.Fprintf(w, "%s: failed again, attempt %d, parked (no automatic retries): %s\n", id, res.After.Attempts, res.Detail)
	default:
		fmt.Fprintf(w, "%s: failed again, attempt %d: %s (next automatic attempt %s)\n", id, res.After.Attempts, res.Detail,
			res.After.NextAttemptAt.UTC().Format(time.RFC3339))
	}
}

// utcOrNil is t in UTC, or nil for the zero time (JSON null).
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WritePurged writes one line about a dead letter Purge settled: purged,
// or gone already.
func WritePurged(w io.Writer, d replay.DeadLetter, gone bool) {
	if gone {
		fmt.Fprintf(w, "%s: gone already (retried or purged meanwhile)\n", d.ID)
		return
	}
	fmt.Fprintf(w, "%s: purged (%s)\n", d.ID, Describe(d))
}

// WriteTally writes the last line of a Retry of tried dead letters of org
// (missing: the IDs asked for that did not exist), and returns the error
// saying what was not done, nil when every one was.
func WriteTally(w io.Writer, org string, tried int, t Tally, missing int) error {
	parkedNow := ""
	if t.Parked > 0 {
		parkedNow = fmt.Sprintf(", %d parked now", t.Parked)
	}
	fmt.Fprintf(w, "retried %d dead letters of org %s: %d done (deleted), %d failed again (kept%s), %d skipped, %d not found\n",
		tried, org, t.Done, t.Failed, parkedNow, t.Skipped, missing)
	var problems []string
	if t.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d failed again (kept with attempts+1 and the new error; fix the cause and retry)", t.Failed))
	}
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d of the given IDs do not exist (`sfcdc deadletters list` shows the current ones)", missing))
	}
	if len(problems) > 0 {
		return errors.New("retry incomplete: " + strings.Join(problems, "; "))
	}
	return nil
}

// WriteChosen prints what a Choice left out: each given ID not found, and
// the parked dead letters a retry of all left alone.
func WriteChosen(w io.Writer, c Chosen) {
	for _, id := range c.Missing {
		fmt.Fprintf(w, "%s: not found (retried or purged already?)\n", id)
	}
	if c.ParkedLeft > 0 {
		fmt.Fprintf(w, "leaving %d parked dead letters alone (--include-parked retries them too)\n", c.ParkedLeft)
	}
}
