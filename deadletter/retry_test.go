package deadletter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
)

// A retry settles each dead letter on its own: a readable record's comment
// is uploaded, a vanished record's comment deleted (on_delete: delete),
// and an object outside the configuration fails with the fix named, kept
// with its next attempt scheduled by the policy.
func TestARetryDeliversRecordsAndSchedulesWhatFailsAgain(t *testing.T) {
	w := newWorld(t)
	clock := deadletter.NewManualClock(time.Now())
	r := w.retrier(t, "", clock, func(c *deadletter.Config) { c.ConfigFile = "sfcdc.yaml" })
	live := w.createCase(t, "printer on fire")
	ids := map[string]string{
		"live":     w.addRecordDeadLetter(t, live, time.Now()),
		"vanished": w.addRecordDeadLetter(t, "500000000000000AAA", time.Now()),
	}
	unknown, err := w.Store.AddDeadLetter(t.Context(), w.Org, replay.DeadLetter{Object: "Opportunity", RecordID: "006000000000001AAA",
		Reason: "unmappable record", Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	var chosen []replay.DeadLetter
	for _, id := range []string{ids["live"], ids["vanished"], unknown} {
		d, _ := w.deadLetter(t, id)
		chosen = append(chosen, d)
	}
	results := map[string]deadletter.Result{}
	tally, err := r.Retry(t.Context(), chosen, func(res deadletter.Result) { results[res.DeadLetter.ID] = res })
	if err != nil {
		t.Fatal(err)
	}
	if tally.Done != 2 || tally.Failed != 1 || len(results) != 3 {
		t.Fatalf("tally %+v, results %+v", tally, results)
	}
	if res := results[ids["live"]]; res.Outcome != deadletter.Done || !strings.Contains(res.Detail, "re-read") || !w.cmHas(live) {
		t.Errorf("live record: %+v; CM has it: %v", res, w.cmHas(live))
	}
	if res := results[ids["vanished"]]; res.Outcome != deadletter.Done || !strings.Contains(res.Detail, "no longer exists") {
		t.Errorf("vanished record: %+v", res)
	}
	res := results[unknown]
	if res.Outcome != deadletter.Failed || !strings.Contains(res.Detail, "add it to objects: in sfcdc.yaml") || res.After.Attempts != 2 ||
		res.After.Parked || !res.After.NextAttemptAt.After(clock.Now().Add(9*time.Minute)) {
		t.Errorf("unknown object: %+v", res)
	}
	for _, id := range []string{ids["live"], ids["vanished"]} {
		if _, ok := w.deadLetter(t, id); ok {
			t.Errorf("dead letter %s is still there after it was delivered", id)
		}
	}
}

// An event dead letter is retried by re-reading its objects changed
// around its commit time; without a commit time a manual retry only says
// what to run instead and keeps it untried.
func TestARetryOfAnEventDeadLetterRereadsTheWindowAroundItsCommitTime(t *testing.T) {
	w := newWorld(t)
	r := w.retrier(t, "", deadletter.NewManualClock(time.Now()), nil)
	a, b := w.createCase(t, "first"), w.createCase(t, "second")
	withTime := replay.DeadLetter{Topic: "/data/CaseChangeEvent", ReplayID: []byte{1}, Reason: "undecodable payload", Attempts: 1, EventTime: time.Now()}
	without := replay.DeadLetter{Topic: "/data/CaseChangeEvent", ReplayID: []byte{2}, Reason: "undecodable payload", Attempts: 1}
	var err error
	if withTime.ID, err = w.Store.AddDeadLetter(t.Context(), w.Org, withTime); err != nil {
		t.Fatal(err)
	}
	if without.ID, err = w.Store.AddDeadLetter(t.Context(), w.Org, without); err != nil {
		t.Fatal(err)
	}
	var skipped deadletter.Result
	tally, err := r.Retry(t.Context(), []replay.DeadLetter{without, withTime}, func(res deadletter.Result) {
		if res.Outcome == deadletter.Skipped {
			skipped = res
		}
	})
	if err != nil || tally.Done != 1 || tally.Skipped != 1 {
		t.Fatalf("tally %+v, %v", tally, err)
	}
	if !w.cmHas(a) || !w.cmHas(b) {
		t.Error("the records changed around the event are not in CM")
	}
	if !strings.Contains(skipped.Detail, "sfcdc backfill") || skipped.DeadLetter.ID != without.ID {
		t.Errorf("skipped %+v", skipped)
	}
	if d, ok := w.deadLetter(t, without.ID); !ok || d.Attempts != 1 {
		t.Errorf("the dead letter without a commit time: present %v, %+v (want kept, untried)", ok, d)
	}
}
