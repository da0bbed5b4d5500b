package demo

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// closedRedis is a Redis URL on a loopback port nothing listens on.
func closedRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "redis://" + addr
}

// recorder is an Observer that keeps what it was told.
type recorder struct {
	notes  []string
	lives  int
	passes map[string]Result
}

func (r *recorder) Note(line string)                  { r.notes = append(r.notes, line) }
func (r *recorder) Live(Result, time.Duration)        { r.lives++ }
func (r *recorder) PassDone(title string, res Result) { r.passes[title] = res }

func TestARunOnTheEmbeddedStoreAccountsForEveryEventItStreams(t *testing.T) {
	rec := &recorder{passes: map[string]Result{}}
	res, err := Run(t.Context(), Options{Events: 400, Seed: 3, DefaultRedisURL: closedRedis(t), Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 400 || res.EventsDone != 400 || res.Interrupted {
		t.Fatalf("events %d, done %d, interrupted %v; want 400 of 400", res.Events, res.EventsDone, res.Interrupted)
	}
	if res.Store != "embedded" || !strings.HasPrefix(rec.notes[0], "state: the embedded store") {
		t.Fatalf("store %q, first note %q; want the embedded store", res.Store, rec.notes[0])
	}
	if got := res.accounted() + res.EventsInFlight; got != int64(res.Events) {
		t.Fatalf("the outcomes add up to %d, not the %d events: %+v", got, res.Events, res)
	}
	if res.EventsInFlight != 0 || res.CommentsNew == 0 || res.BillableUnits != res.CommentsNew+res.CommentsUpdatedText {
		t.Fatalf("in flight %d, new %d, billable %d (text updates %d)", res.EventsInFlight, res.CommentsNew, res.BillableUnits, res.CommentsUpdatedText)
	}
	if traffic := res.Creates + res.Updates + res.Undeletes + res.Deletes + res.Unmapped + res.Other; traffic != int64(res.Events) {
		t.Fatalf("the traffic counts %d events, not %d", traffic, res.Events)
	}
	if _, ok := rec.passes["pass 1"]; !ok || len(rec.passes) != 1 {
		t.Fatalf("passes shown: %v, want pass 1 only", rec.passes)
	}
}

func TestAReplayRunStreamsTheSameTrafficAgainAndBillsNothing(t *testing.T) {
	rec := &recorder{passes: map[string]Result{}}
	res, err := Run(t.Context(), Options{Events: 300, Seed: 5, DefaultRedisURL: closedRedis(t), Replay: true, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	first := rec.passes["pass 1"]
	if !res.Replay || res.Events != 300 || res.EventsDone != 300 {
		t.Fatalf("replay pass: replay %v, %d events, %d done", res.Replay, res.Events, res.EventsDone)
	}
	if res.Traffic != first.Traffic {
		t.Fatalf("the replayed traffic %+v differs from the first pass's %+v", res.Traffic, first.Traffic)
	}
	if res.BillableUnits != 0 || res.CommentsNew != 0 || res.P50LatencyMS != nil {
		t.Fatalf("the replay billed %d units, created %d comments, latency %v", res.BillableUnits, res.CommentsNew, res.P50LatencyMS)
	}
}

func TestARunWithNoRedisWhereOneWasAskedForFailsAndSaysWhere(t *testing.T) {
	url := closedRedis(t)
	_, err := Run(t.Context(), Options{Events: 10, RedisURL: url})
	if !errors.Is(err, ErrNoRedis) || !strings.Contains(err.Error(), strings.TrimPrefix(url, "redis://")) {
		t.Fatalf("err %v, want ErrNoRedis naming the address", err)
	}
}

func TestLatencyPercentilesCountEachChangeFromItsOldestPendingCommit(t *testing.T) {
	l := newLatencies()
	t0 := time.Unix(1000, 0)
	l.changed("a", t0)
	l.changed("a", t0.Add(time.Second)) // still pending since t0
	l.changed("gone", t0)
	l.deleted("gone")
	l.received("a", t0.Add(2*time.Second))
	l.received("gone", t0.Add(9*time.Second)) // its version was never sent
	p50, p99, ok := l.percentiles()
	if !ok || p50 != 2000 || p99 != 2000 {
		t.Fatalf("p50 %v ms, p99 %v ms, ok %v; want 2000, 2000", p50, p99, ok)
	}
	if _, _, ok := newLatencies().percentiles(); ok {
		t.Fatal("percentiles of nothing received")
	}
}

// The JSON of Result is `sfcdc demo --json`, a public format: these keys
// (the traffic figures flattened in) stay, and the org stays out.
func TestTheResultsJSONKeepsThePublicKeys(t *testing.T) {
	raw, err := json.Marshal(Result{org: "00Dsecretish"})
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"events", "events_done", "interrupted", "seed", "traffic_creates", "traffic_updates", "traffic_undeletes",
		"traffic_deletes", "traffic_unmapped", "traffic_other", "comments_new", "comments_updated", "comments_updated_text",
		"comments_updated_metadata", "comments_sent_unchanged", "events_merged", "comments_unchanged", "events_deleted",
		"events_no_mapped_change", "events_gone_before_fetch", "events_unmapped", "events_covered_by_backfill",
		"events_dead_lettered", "events_in_flight", "billable_units", "rest_calls", "events_needing_fetch", "cm_requests",
		"seconds", "events_per_sec", "p50_latency_ms", "p99_latency_ms", "peak_rss_mb", "replay", "store"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("key %q missing from %s", k, raw)
		}
		delete(obj, k)
	}
	if len(obj) != 0 {
		t.Errorf("keys beyond the public format: %v", obj)
	}
}

// Two demos in one process (the command tests run them side by side) each
// measure their own comments: a short one ending first does not stop the
// long one's latency measurement (the tracker was a package variable).
func TestTwoDemosAtOnceEachMeasureTheirOwnLatencies(t *testing.T) {
	results := make(chan Result, 2)
	for _, n := range []int{200, 1500} {
		go func() {
			res, err := Run(t.Context(), Options{Events: n, Seed: uint64(n), DefaultRedisURL: closedRedis(t)})
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	for range 2 {
		res := <-results
		if res.CommentsNew > 0 && (res.P99LatencyMS == nil || res.P50LatencyMS == nil) {
			t.Fatalf("a demo of %d events sent %d new comments but measured no latency", res.Events, res.CommentsNew)
		}
	}
}
