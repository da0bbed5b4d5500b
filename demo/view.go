package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// View prints the demo's progress for a person (`sfcdc demo` without
// --json): a line rewritten in place on a terminal, a line per tick
// otherwise. It is an Observer.
type View struct {
	w        io.Writer
	terminal bool
	open     bool // a live line is on screen without its newline
}

// NewView writes to w; terminal says whether w is a terminal.
func NewView(w io.Writer, terminal bool) *View { return &View{w: w, terminal: terminal} }

// Note prints a line about the run (Observer).
func (v *View) Note(line string) {
	v.endLine()
	fmt.Fprintln(v.w, line)
}

func (v *View) endLine() {
	if v.open {
		fmt.Fprintln(v.w)
		v.open = false
	}
}

// Live shows the progress. Each figure is a counter read as is (the
// generator's, the checkpoint's, CM's answers, the pipeline's), never a
// difference of two sources read at different moments, so none goes down.
func (v *View) Live(r Result, lag time.Duration) {
	line := fmt.Sprintf("%7d events, %7d done (%5.0f/s) | new %d, text updated %d, metadata updated %d, not sent %d, deleted %d | billable %d | lag %s",
		r.Events, r.EventsDone, float64(r.EventsDone)/r.Seconds, r.CommentsNew, r.CommentsUpdatedText, r.CommentsUpdatedMetadata,
		r.CommentsUnchanged, r.EventsDeleted, r.BillableUnits, lag.Round(time.Millisecond))
	if v.terminal {
		fmt.Fprintf(v.w, "\r\033[K%s", line)
		v.open = true
		return
	}
	fmt.Fprintln(v.w, line)
}

// PassDone prints a pass's figures: the traffic, then what became of every
// event (the lines add up to the events), then cost and speed.
func (v *View) PassDone(title string, r Result) {
	v.endLine()
	w := v.w
	if r.Interrupted {
		title += " (interrupted)"
	}
	fmt.Fprintf(w, "%s: %d events in %.2f s (%.0f events/s), %d done (checkpointed: CM holds what each event asked for)\n",
		title, r.Events, r.Seconds, r.EventsPerSec, r.EventsDone)
	fmt.Fprintf(w, "  traffic (the same for every run with --seed %d): %d creates, %d updates, %d undeletes, %d deletes of emails, cases and tasks; %d changes of accounts and contacts",
		r.Seed, r.Creates, r.Updates, r.Undeletes, r.Deletes, r.Unmapped)
	if r.Other > 0 {
		fmt.Fprintf(w, "; %d gap or overflow events", r.Other)
	}
	fmt.Fprintf(w, "\n  what became of the %d events:\n", r.Events)
	for _, row := range outcomeRows(r) {
		if row.n != 0 || row.always {
			fmt.Fprintf(w, "  %8d %s\n", row.n, row.what)
		}
	}
	fmt.Fprintf(w, "  billable units: %d = %d new + %d text updates (CM bills a created comment and a changed text; all else above is free)\n",
		r.BillableUnits, r.CommentsNew, r.CommentsUpdatedText)
	fmt.Fprintf(w, "  CM requests: %d; Salesforce REST calls: %d for %d events that needed the full record (updates of a mapped field, undeletes)\n",
		r.CMRequests, r.RESTCalls, r.FetchEvents)
	if r.P50LatencyMS == nil {
		fmt.Fprintf(w, "  latency commit → CM accepted: no comment sent, so none to measure\n")
		return
	}
	fmt.Fprintf(w, "  latency commit → CM accepted: p50 %.0f ms, p99 %.0f ms\n", *r.P50LatencyMS, *r.P99LatencyMS)
}

// outcomeRow is one line of "what became of the events"; rows that are
// not always shown appear only when some event took that way.
type outcomeRow struct {
	n      int64
	what   string
	always bool
}

func outcomeRows(r Result) []outcomeRow {
	return []outcomeRow{
		{r.CommentsNew, "created a comment (new, billed)", true},
		{r.CommentsUpdatedText, "updated a comment's text (billed)", true},
		{r.CommentsUpdatedMetadata, "updated a comment's metadata only: status, priority, addresses (free)", true},
		{r.CommentsSentUnchanged, "sent, but CM already held that version (unchanged, free)", false},
		{r.EventsMerged, "merged: a newer version of the same comment, or its delete, was queued with it and went in its place", true},
		{r.CommentsUnchanged, "not sent: its comment equals the last upload (content hashes)", true},
		{r.EventsDeleted, "deleted a record: its comment removed from CM, if it ever got there (free)", true},
		{r.EventsNoMappedChange, "no comment: no mapped field changed (a case's SourceId)", true},
		{r.EventsGoneBeforeFetch, "no comment: the record was deleted before its fetch (its delete follows)", true},
		{r.EventsUnmapped, "no comment: object not mapped (accounts, contacts)", true},
		{r.EventsCovered, "passed: covered by the initial backfill", false},
		{r.EventsDeadLettered, "dead-lettered", false},
		{r.EventsInFlight, "not finished when the demo stopped", false},
	}
}

// WriteEnd writes what `sfcdc demo` prints after the passes: the JSON
// object of res (asJSON: --json, the only output then), or the peak RSS
// line under the View's pass figures.
func WriteEnd(w io.Writer, res Result, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(res)
	}
	fmt.Fprintf(w, "peak RSS %.0f MB\n", res.PeakRSSMB)
	return nil
}
