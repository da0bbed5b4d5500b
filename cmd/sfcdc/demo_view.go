package main

import (
	"fmt"
	"io"
	"time"
)

// demoView prints the demo's progress for a person: a line rewritten in
// place on a terminal, a line per tick otherwise. A nil view (--json)
// prints nothing.
type demoView struct {
	w        io.Writer
	terminal bool
	open     bool // a live line is on screen without its newline
}

func newDemoView(w io.Writer, terminal bool) *demoView { return &demoView{w: w, terminal: terminal} }

func (v *demoView) say(format string, args ...any) {
	if v == nil {
		return
	}
	v.endLine()
	fmt.Fprintf(v.w, format+"\n", args...)
}

func (v *demoView) endLine() {
	if v.open {
		fmt.Fprintln(v.w)
		v.open = false
	}
}

// live shows the progress: events generated and done (checkpointed:
// every comment accepted by CM), the comment counts, billable units, how
// many record changes cost nothing, and the age of the oldest unfinished
// change.
func (v *demoView) live(r demoResult, done int64, lag time.Duration) {
	if v == nil {
		return
	}
	line := fmt.Sprintf("%7d events, %7d done (%5.0f/s) | comments new %d updated %d unchanged %d | billable %d (saved %d) | lag %s",
		r.Events, done, float64(done)/r.Seconds, r.CommentsNew, r.CommentsUpdated, r.CommentsUnchanged, r.BillableUnits, r.UnbilledChanges,
		lag.Round(time.Millisecond))
	if v.terminal {
		fmt.Fprintf(v.w, "\r\033[K%s", line)
		v.open = true
		return
	}
	fmt.Fprintln(v.w, line)
}

func (v *demoView) summary(title string, r demoResult) {
	if v == nil {
		return
	}
	v.endLine()
	fmt.Fprintf(v.w, "%s: %d events in %.2f s (%.0f events/s)\n", title, r.Events, r.Seconds, r.EventsPerSec)
	fmt.Fprintf(v.w, "  comments: %d new, %d updated, %d unchanged, %d deleted\n",
		r.CommentsNew, r.CommentsUpdated, r.CommentsUnchanged, r.CommentsDeleted)
	fmt.Fprintf(v.w, "  billable units: %d (%d record changes cost nothing: unchanged text or skipped by the content hashes)\n",
		r.BillableUnits, r.UnbilledChanges)
	fmt.Fprintf(v.w, "  CM requests: %d; Salesforce REST calls: %d for %d events that needed the full record\n",
		r.CMRequests, r.RESTCalls, r.FetchEvents)
	fmt.Fprintf(v.w, "  latency commit → CM accepted: p50 %.0f ms, p99 %.0f ms\n", r.P50LatencyMS, r.P99LatencyMS)
}
