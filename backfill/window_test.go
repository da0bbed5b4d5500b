package backfill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestAWindowReadsOnlyItsSpanAndKeepsItsOwnWatermark(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	w := newWorld(t, simworld.Options{Clock: clock})
	before := seedEmails(t, w.Sim.Org, 30, 10) // 08:00
	clock.advance(time.Hour)
	inside := seedEmails(t, w.Sim.Org, 40, 10) // 09:00
	clock.advance(time.Hour)
	after := seedEmails(t, w.Sim.Org, 20, 10) // 10:00

	since, until := clock.Now().Add(-90*time.Minute), clock.Now().Add(-30*time.Minute)
	req := backfill.Request{Since: since, Until: until}
	if _, err := w.backfill(t, setup{}).Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := w.Bodies()
	for name, group := range map[string][]string{"before": before, "inside": inside, "after": after} {
		for _, id := range group {
			if _, ok := got[mapper.CommentID("EmailMessage", id)]; ok != (name == "inside") {
				t.Fatalf("a record %s the window: in CM %v", name, ok)
			}
		}
	}
	if _, err := w.Store.Watermark(context.Background(), w.Sim.Org.ID(), "EmailMessage"); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("the window touched the object's own watermark: %v", err)
	}
	wm, err := w.Store.Watermark(context.Background(), w.Sim.Org.ID(), backfill.WindowName("EmailMessage", since, until))
	if err != nil || wm.RecordID != inside[len(inside)-1] {
		t.Fatalf("window watermark %v (%v), want the window's last record", wm, err)
	}
}

func TestSinceStartsAnObjectLaterThanItsWatermark(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	w := newWorld(t, simworld.Options{Clock: clock})
	old := seedEmails(t, w.Sim.Org, 25, 25)
	clock.advance(24 * time.Hour)
	recent := seedEmails(t, w.Sim.Org, 15, 15)
	sum, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{Since: clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(w.Bodies()); got != len(recent) || sum.Objects[0].Total != len(recent) {
		t.Fatalf("CM holds %d comments, COUNT() said %d; want only the %d recent records, not the %d old ones", got, sum.Objects[0].Total, len(recent), len(old))
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID != recent[len(recent)-1] {
		t.Fatalf("watermark at %s, want the last recent record", wm.RecordID)
	}
}
