package deadletter_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
)

func TestTheDeadLetterPolicyDoublesTheWaitUpToItsCap(t *testing.T) {
	p := deadletter.Policy{}.WithDefaults()
	if p.RetryAfter != 5*time.Minute || p.MaxBackoff != 6*time.Hour || p.MaxAttempts != 10 {
		t.Fatalf("defaults %+v", p)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if due := p.Due(replay.DeadLetter{At: at, Attempts: 1}); !due.Equal(at.Add(5 * time.Minute)) {
		t.Errorf("a new dead letter is due at %v, want 5 min after it was written", due)
	}
	next := at.Add(time.Hour)
	if due := p.Due(replay.DeadLetter{At: at, Attempts: 2, NextAttemptAt: next}); !due.Equal(next) {
		t.Errorf("a retried dead letter is due at %v, want its stored next attempt %v", due, next)
	}
	want := []time.Duration{10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute, 160 * time.Minute,
		320 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		attempts := i + 2
		if got := p.Wait(attempts); got != w {
			t.Errorf("wait after attempt %d = %v, want %v", attempts, got, w)
		}
	}
	if got := (deadletter.Policy{RetryAfter: time.Hour, MaxBackoff: 1 << 62}).WithDefaults().Wait(200); got != 1<<62 {
		t.Errorf("a long run of doublings = %v, want the cap", got)
	}
	for _, bad := range []deadletter.Policy{{RetryAfter: -1}, {MaxBackoff: -1}, {MaxAttempts: -1}, {RetryAfter: time.Hour, MaxBackoff: time.Minute}} {
		if bad.Validate() == nil {
			t.Errorf("%+v is accepted", bad)
		}
	}
}

// Acceptance: a dead letter that keeps failing is tried at 5 min, then
// 10 min later, and is parked at its last attempt; after that the retrier
// leaves it alone however much time passes.
func TestADeadLetterThatKeepsFailingIsParkedAfterItsLastAttempt(t *testing.T) {
	w := newWorld(t)
	w.Gate.Reject("ALWAYS-INVALID")
	caseID := w.createCase(t, "ALWAYS-INVALID")
	clock := deadletter.NewManualClock(time.Now())
	id := w.addRecordDeadLetter(t, caseID, clock.Now())
	r := w.retrier(t, "host-a", clock, func(c *deadletter.Config) { c.Policy.MaxAttempts = 3 })
	start(t, r)

	eventually(t, "the retrier waits", func() bool { return clock.Waiters() > 0 })
	if d, _ := w.deadLetter(t, id); d.Attempts != 1 {
		t.Fatalf("retried before it was due: %+v", d)
	}
	clock.Advance(5 * time.Minute)
	eventually(t, "the second attempt is recorded", func() bool { d, _ := w.deadLetter(t, id); return d.Attempts == 2 })
	d, _ := w.deadLetter(t, id)
	if wait := d.NextAttemptAt.Sub(clock.Now()); d.Parked || wait > 10*time.Minute || wait < 9*time.Minute || d.Error == "" {
		t.Fatalf("after attempt 2: %+v (next attempt in %v), want one in 9 to 10 min, not parked, with the error", d, wait)
	}

	eventually(t, "the retrier waits again", func() bool { return clock.Waiters() > 0 })
	clock.Advance(10 * time.Minute)
	eventually(t, "the third attempt parks it", func() bool { d, _ := w.deadLetter(t, id); return d.Parked })
	d, _ = w.deadLetter(t, id)
	if d.Attempts != 3 || !d.NextAttemptAt.IsZero() {
		t.Fatalf("parked dead letter %+v, want 3 attempts and no next attempt", d)
	}
	for range 3 {
		eventually(t, "the retrier waits", func() bool { return clock.Waiters() > 0 })
		clock.Advance(12 * time.Hour)
	}
	eventually(t, "the retrier waits", func() bool { return clock.Waiters() > 0 })
	if d, _ := w.deadLetter(t, id); d.Attempts != 3 {
		t.Errorf("a parked dead letter was retried: %+v", d)
	}
	if n, err := w.Store.CountParkedDeadLetters(t.Context(), w.Org); err != nil || n != 1 {
		t.Errorf("parked count %d, %v; want 1", n, err)
	}
	if w.cmHas(caseID) {
		t.Error("CM holds the comment it always refuses")
	}

	// An operator's retry, once the cause is fixed, still delivers it.
	w.Gate.Heal()
	tally, err := r.Retry(t.Context(), []replay.DeadLetter{d}, nil)
	if err != nil || tally.Done != 1 || !w.cmHas(caseID) {
		t.Fatalf("manual retry of the parked dead letter: %+v, %v; CM has it: %v", tally, err, w.cmHas(caseID))
	}
	if _, ok := w.deadLetter(t, id); ok {
		t.Error("the delivered dead letter is still there")
	}
}

func TestAnEventDeadLetterWithoutACommitTimeIsParkedAtOnceByTheAutomaticRetrier(t *testing.T) {
	w := newWorld(t)
	clock := deadletter.NewManualClock(time.Now().Add(time.Hour))
	id, err := w.Store.AddDeadLetter(t.Context(), w.Org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case",
		ReplayID: []byte{1, 2}, Reason: "undecodable payload", Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := w.retrier(t, "host-a", clock, nil)
	if _, err := r.RetryDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	d, _ := w.deadLetter(t, id)
	if !d.Parked || d.Attempts != 2 || d.Error == "" {
		t.Fatalf("event dead letter without a commit time: %+v, want it parked with the reason", d)
	}
}

// Only the instance holding the retrier's lease retries; a second one
// stands by, and takes over when the first stops.
func TestOnlyOneRetrierOfAnOrgRetriesDeadLettersAndAStandbyTakesOver(t *testing.T) {
	w := newWorld(t)
	clockA := deadletter.NewManualClock(time.Now())
	clockB := deadletter.NewManualClock(time.Now())
	a := start(t, w.retrier(t, "host-a", clockA, nil))
	eventually(t, "the first retrier works", func() bool { return clockA.Waiters() > 0 })
	b := start(t, w.retrier(t, "host-b", clockB, nil))

	caseID := w.createCase(t, "retried once")
	id := w.addRecordDeadLetter(t, caseID, clockA.Now())
	// Several lease TTLs pass: B keeps standing by, never scanning.
	time.Sleep(3 * retrierLeaseTTL)
	if clockB.Waiters() != 0 {
		t.Fatal("the second retrier works while the first holds the lease")
	}
	clockB.Advance(time.Hour)
	clockA.Advance(6 * time.Minute)
	eventually(t, "the first retrier delivers the dead letter", func() bool { _, ok := w.deadLetter(t, id); return !ok && w.cmHas(caseID) })
	if n := w.Gate.Passed(); n != 1 {
		t.Errorf("CM got %d requests, want 1 (one retrier)", n)
	}

	a.stop(t)
	eventually(t, "the standby takes over", func() bool { return clockB.Waiters() > 0 })
	b.stop(t)
}
