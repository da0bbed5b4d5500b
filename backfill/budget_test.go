package backfill_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestTheAPIBudgetStopsTheBackfillCleanlyAndSaysWhenToResume(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 20})
	ids := seedEmails(t, w.Sim.Org, 3000, 100)
	now := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	s := setup{cfg: backfill.Config{PageSize: 200}, now: func() time.Time { return now }}

	_, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	var be *backfill.BudgetError
	if !errors.As(err, &be) || !errors.Is(err, backfill.ErrBudgetReached) {
		t.Fatalf("run: %v, want a *BudgetError", err)
	}
	// COUNT() and nine pages reach 10 of 20 calls, the default 50 %.
	if be.Used != 10 || be.Limit != 20 || be.Percent != backfill.DefaultAPIBudgetPercent {
		t.Fatalf("budget error %+v, want 10 of 20 used at 50%%", *be)
	}
	if want := now.Add(24*time.Hour + time.Minute); !be.ResumeAfter.Equal(want) {
		t.Fatalf("resume after %v, want %v (when today's calls have left the 24-hour window)", be.ResumeAfter, want)
	}
	if !strings.Contains(err.Error(), "run again after 2026-03-03T08:31:00Z") {
		t.Fatalf("the message does not say when to resume: %v", err)
	}
	if used, _ := w.Sim.REST.APIUsage(); used != 10 {
		t.Fatalf("the org counted %d calls, want the 10 before the stop and none after", used)
	}
	wm := w.watermark(t, "EmailMessage")
	if wm.RecordID != ids[1799] {
		t.Fatalf("watermark at %s, want the last record read, %s", wm.RecordID, ids[1799])
	}
	got := w.Bodies()
	for i, id := range ids {
		if _, ok := got[mapper.CommentID("EmailMessage", id)]; ok != (i < 1800) {
			t.Fatalf("record %d: in CM %v, want exactly the 1,800 records read before the stop", i, ok)
		}
	}

	w.Sim.REST.SetDailyAPILimit(1_000_000)
	if _, err := w.backfill(t, s).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

func TestSalesforceRefusingACallForTheDailyLimitIsABudgetStop(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	seedEmails(t, w.Sim.Org, 600, 100)
	// Other clients spend the allocation after the first page: the usage
	// sfcdc saw last looks fine, and Salesforce refuses the next call.
	s := setup{cfg: backfill.Config{PageSize: 200}, progress: func(backfill.Progress) { w.Sim.REST.SetDailyAPILimit(1) }}
	_, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	var be *backfill.BudgetError
	if !errors.As(err, &be) || !be.Refused {
		t.Fatalf("run: %v, want a *BudgetError for REQUEST_LIMIT_EXCEEDED", err)
	}
	if got := len(w.Bodies()); got != 200 {
		t.Fatalf("CM holds %d comments, want the 200 of the one page read", got)
	}
}

// REQUEST_LIMIT_EXCEEDED is a limit, not a transient failure: retrying it
// soon only spends more of the allocation. The run stops at the first
// refusal, without a wait, names the limit, keeps its watermark, and the
// next run, once the limit clears, resumes there and lands the rest.
func TestABackfillMeetingRequestLimitExceededStopsAtOnceNamingItAndTheNextRunResumes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	seedEmails(t, w.Sim.Org, 600, 100)
	rec := &waits{}
	refused := false
	s := setup{cfg: backfill.Config{PageSize: 200}, sleep: rec.sleep, progress: func(backfill.Progress) {
		if !refused {
			refused = true
			used, _ := w.Sim.REST.APIUsage()
			w.Sim.REST.SetDailyAPILimit(used) // the next call is refused
		}
	}}
	_, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	if !errors.Is(err, backfill.ErrBudgetReached) || !strings.Contains(err.Error(), "REQUEST_LIMIT_EXCEEDED") {
		t.Fatalf("run: %v, want a budget stop naming REQUEST_LIMIT_EXCEEDED", err)
	}
	if len(rec.d) != 0 {
		t.Fatalf("the refused call was retried after %v", rec.d)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID == "" {
		t.Fatal("no watermark saved at the stop")
	}
	w.Sim.REST.SetDailyAPILimit(1_000_000)
	if _, err := w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}, sleep: rec.sleep}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}
