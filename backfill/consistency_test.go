package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// A run reads up to the instant it began and ends there, in one pass:
// records updated while it reads are left to the next run, which brings
// them in their newest version. (Chasing them pass after pass never ended
// in a busy org.)
func TestARunEndsAtItsStartInstantAndTheNextBringsWhatChangedMeanwhile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	ids := seedEmails(t, w.Sim.Org, 1000, 50)
	// Updated once the first page is on its way: records already handed
	// on, records around the next page boundary, and records later in the
	// query, whose old version the open query locator still returns.
	var touched []string
	for _, span := range [][2]int{{0, 10}, {195, 205}, {500, 510}, {990, 1000}} {
		touched = append(touched, ids[span[0]:span[1]]...)
	}
	updated := false
	s := setup{cfg: backfill.Config{PageSize: 200}, progress: func(p backfill.Progress) {
		if updated || p.Phase != backfill.PhaseReading {
			return
		}
		updated = true
		for i, id := range touched {
			if err := w.Sim.Org.Update(id, sfsim.Values{"TextBody": fmt.Sprintf("Version 2 of message %d.", i)}); err != nil {
				t.Error(err)
			}
		}
	}}
	sum, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !updated {
		t.Fatal("no progress report came, so nothing was updated during the run")
	}
	if o := sum.Objects[0]; o.Passes != 1 || o.Read != 1000 {
		t.Fatalf("%d passes read %d records after the watermark; want one pass reading the 1000 there were when it began", o.Passes, o.Read)
	}
	if got := len(w.Bodies()); got != 1000 {
		t.Fatalf("CM holds %d comments after the first run, want the 1000 records", got)
	}

	sum, err = w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}}).Run(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if o := sum.Objects[0]; o.Passes != 1 || o.Read != len(touched) {
		t.Fatalf("the next run made %d passes reading %d records after the watermark; want one reading the %d updated", o.Passes, o.Read, len(touched))
	}
}

func TestRecordsSharingOneSystemModstampAcrossAPageBoundaryAreNotMissedOnResume(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	// The budget allows three calls: COUNT() and two pages of 200, so the
	// run stops inside the 450 records that share one SystemModstamp.
	w := newWorld(t, simworld.Options{Clock: clock, DailyAPILimit: 6})
	ids := seedEmails(t, w.Sim.Org, 450, 450)
	cfg := backfill.Config{PageSize: 200, NoOverlap: true}

	_, err := w.backfill(t, setup{cfg: cfg}).Run(context.Background(), backfill.Request{})
	if !errors.Is(err, backfill.ErrBudgetReached) {
		t.Fatalf("first run: %v, want the budget stop", err)
	}
	wm := w.watermark(t, "EmailMessage")
	if !wm.Modstamp.Equal(clock.Now()) || wm.RecordID != ids[399] {
		t.Fatalf("watermark %v/%s, want the 400th record %s at the shared stamp %v", wm.Modstamp, wm.RecordID, ids[399], clock.Now())
	}
	if got := len(w.Bodies()); got != 400 {
		t.Fatalf("CM holds %d comments after the stop, want the 400 read", got)
	}

	w.Sim.REST.SetDailyAPILimit(1_000_000)
	if _, err := w.backfill(t, setup{cfg: cfg}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if st := w.CM.Stats(); st.CommentsReceived != 450 {
		t.Fatalf("CM received %d comments in all, want each of the 450 once", st.CommentsReceived)
	}
}

func TestAStoppedBackfillResumesWithNothingLostAndNothingResent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	seedEmails(t, w.Sim.Org, 3000, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pages := 0
	s := setup{cfg: backfill.Config{PageSize: 200}, progress: func(p backfill.Progress) {
		if pages++; pages == 4 {
			cancel() // as SIGTERM does
		}
	}}
	if _, err := w.backfill(t, s).Run(ctx, backfill.Request{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v, want context.Canceled", err)
	}
	stopped := w.CM.Stats().CommentsReceived
	if _, err := w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if st := w.CM.Stats(); st.CommentsReceived != 3000 || st.BillableUnits != 3000 {
		t.Fatalf("CM received %d comments (%d before the stop) and billed %d; want 3000 each: a clean stop re-sends nothing",
			st.CommentsReceived, stopped, st.BillableUnits)
	}
}

func TestRelationshipFieldsOfTheMappingAreQueriedAndMapped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{})
	caseID, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Broken parcel", "Status": "New"})
	if err != nil {
		t.Fatal(err)
	}
	commentID, err := w.Sim.Org.Create("CaseComment", sfsim.Values{"ParentId": caseID, "CommentBody": "Customer called again."})
	if err != nil {
		t.Fatal(err)
	}
	objects := []mapper.ObjectMapping{{Object: "CaseComment", Comment: mapper.CommentMapping{
		Properties: map[string]string{"Case Number": "Parent.CaseNumber", "Case Subject": "Parent.Subject"}}}}
	if _, err := w.backfill(t, setup{objects: objects}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	c, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("CaseComment", commentID))
	if !ok {
		t.Fatal("the case comment did not arrive")
	}
	parent, _ := w.Sim.Org.Get(caseID)
	if c.UserProperties["string:Case Number"] != parent.Get("CaseNumber") || c.UserProperties["string:Case Subject"] != "Broken parcel" {
		t.Fatalf("properties %v, want the parent case's number %v and subject", c.UserProperties, parent.Get("CaseNumber"))
	}
}
