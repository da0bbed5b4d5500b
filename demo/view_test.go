package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTheViewRewritesItsLiveLineOnATerminalAndEndsItBeforeANote(t *testing.T) {
	var out bytes.Buffer
	v := NewView(&out, true)
	v.Live(Result{Events: 10, EventsDone: 4, Seconds: 2, CommentsNew: 3}, 1500*time.Millisecond)
	v.Note("pass 2: replay")
	want := "\r\033[K     10 events,       4 done (    2/s) | new 3, text updated 0, metadata updated 0, not sent 0, deleted 0 | billable 0 | lag 1.5s\npass 2: replay\n"
	if out.String() != want {
		t.Fatalf("terminal view %q, want %q", out.String(), want)
	}
	out.Reset()
	v = NewView(&out, false)
	v.Live(Result{Events: 10, EventsDone: 4, Seconds: 2}, 0)
	v.Note("done")
	if strings.Contains(out.String(), "\r") || strings.Count(out.String(), "\n") != 2 {
		t.Fatalf("plain view %q: want two lines without control characters", out.String())
	}
}

func TestPassDoneAccountsForEveryEventAndShowsOnlyTheRowsThatHappened(t *testing.T) {
	p50, p99 := 12.0, 80.0
	r := Result{Events: 100, EventsDone: 100, Seed: 7, Seconds: 2, EventsPerSec: 50,
		Traffic:     Traffic{Creates: 60, Updates: 30, Undeletes: 1, Deletes: 4, Unmapped: 5},
		CommentsNew: 55, CommentsUpdatedText: 20, CommentsUpdatedMetadata: 5, EventsMerged: 3, CommentsUnchanged: 6,
		EventsDeleted: 4, EventsNoMappedChange: 1, EventsGoneBeforeFetch: 1, EventsUnmapped: 5,
		BillableUnits: 75, CMRequests: 9, RESTCalls: 2, FetchEvents: 21, P50LatencyMS: &p50, P99LatencyMS: &p99}
	var out bytes.Buffer
	NewView(&out, false).PassDone("pass 1", r)
	want := "pass 1: 100 events in 2.00 s (50 events/s), 100 done (checkpointed: CM holds what each event asked for)\n" +
		"  traffic (the same for every run with --seed 7): 60 creates, 30 updates, 1 undeletes, 4 deletes of emails, cases and tasks; 5 changes of accounts and contacts\n" +
		"  what became of the 100 events:\n" +
		"        55 created a comment (new, billed)\n" +
		"        20 updated a comment's text (billed)\n" +
		"         5 updated a comment's metadata only: status, priority, addresses (free)\n" +
		"         3 merged: a newer version of the same comment, or its delete, was queued with it and went in its place\n" +
		"         6 not sent: its comment equals the last upload (content hashes)\n" +
		"         4 deleted a record: its comment removed from CM, if it ever got there (free)\n" +
		"         1 no comment: no mapped field changed (a case's SourceId)\n" +
		"         1 no comment: the record was deleted before its fetch (its delete follows)\n" +
		"         5 no comment: object not mapped (accounts, contacts)\n" +
		"  billable units: 75 = 55 new + 20 text updates (CM bills a created comment and a changed text; all else above is free)\n" +
		"  CM requests: 9; Salesforce REST calls: 2 for 21 events that needed the full record (updates of a mapped field, undeletes)\n" +
		"  latency commit → CM accepted: p50 12 ms, p99 80 ms\n"
	if out.String() != want {
		t.Fatalf("pass figures:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	NewView(&out, false).PassDone("replay", Result{Interrupted: true, Traffic: Traffic{Other: 2}})
	if !strings.HasPrefix(out.String(), "replay (interrupted): ") || !strings.Contains(out.String(), "; 2 gap or overflow events\n") ||
		!strings.HasSuffix(out.String(), "no comment sent, so none to measure\n") {
		t.Fatalf("interrupted pass without latency:\n%s", out.String())
	}
}

func TestWriteEndIsTheJSONObjectOrThePeakRSSLine(t *testing.T) {
	var out bytes.Buffer
	if err := WriteEnd(&out, Result{Events: 3, PeakRSSMB: 141.6}, false); err != nil || out.String() != "peak RSS 142 MB\n" {
		t.Fatalf("text end %q (%v)", out.String(), err)
	}
	out.Reset()
	if err := WriteEnd(&out, Result{Events: 3, PeakRSSMB: 141.6}, true); err != nil ||
		!strings.HasPrefix(out.String(), `{"events":3,`) || !strings.Contains(out.String(), `"peak_rss_mb":141.6`) {
		t.Fatalf("JSON end %q (%v)", out.String(), err)
	}
}
