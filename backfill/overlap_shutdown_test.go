package backfill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// Salesforce stamps a row when it is written, not when its transaction
// commits: a record can appear behind a watermark saved while its
// transaction was still open. The default overlap re-reads that far back,
// so the next run picks it up.
func TestARecordCommittedLateBehindTheWatermarkIsReadByTheDefaultOverlap(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	w := newWorld(t, simworld.Options{Clock: clock, DailyAPILimit: 1_000_000})
	seedEmails(t, w.Sim.Org, 10, 10)
	if _, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if wm := w.watermark(t, "EmailMessage"); !wm.Modstamp.Equal(clock.Now()) {
		t.Fatalf("first run's watermark %v, want the seeded stamp %v", wm.Modstamp, clock.Now())
	}

	// Written a minute before the watermark, visible only now.
	clock.advance(-time.Minute)
	late := seedEmails(t, w.Sim.Org, 1, 1)[0]
	clock.advance(time.Minute)
	if _, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", late)); !ok {
		t.Fatalf("the record stamped a minute behind the watermark was not read by a run with the default overlap of %v", backfill.DefaultOverlap)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

// A stop (SIGTERM) while uploads are in flight: the uploads that finish
// after the last page was settled are saved by the final save, so the
// watermark is the last record CM accepted, not an older page's.
func TestAStoppedBackfillSavesTheWatermarkOfTheLastDeliveredRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	ids := seedEmails(t, w.Sim.Org, 400, 50)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waitErr error
	s := setup{cfg: backfill.Config{PageSize: 200}, progress: func(p backfill.Progress) {
		if p.Phase != backfill.PhaseReading || ctx.Err() != nil {
			return
		}
		// The first page was settled as far as it was when it was handed
		// on (nothing yet); stop once CM has received all of it.
		deadline := time.Now().Add(20 * time.Second)
		for w.CM.Stats().CommentsReceived < 200 {
			if time.Now().After(deadline) {
				waitErr = errors.New("CM did not receive the first page within 20 s")
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel() // as SIGTERM does
	}}
	if _, err := w.backfill(t, s).Run(ctx, backfill.Request{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v, want context.Canceled", err)
	}
	if waitErr != nil {
		t.Fatal(waitErr)
	}
	if got := w.CM.Stats().CommentsReceived; got != 200 {
		t.Fatalf("CM received %d comments, want the first page of 200", got)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID != ids[199] {
		t.Fatalf("watermark after the stop is at record %s, want the last delivered one %s", wm.RecordID, ids[199])
	}
}
