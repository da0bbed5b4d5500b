package backfill_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sfcdc/sfcdc/backfill"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestADryRunEstimateEqualsTheBillableUnitsOfTheRealRunThatFollows(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	ids := seedEmails(t, w.Sim.Org, 300, 50)
	if _, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	// Since then: 20 texts changed (billed), 15 statuses changed (a
	// property: not billed), 5 records deleted, 10 created (billed).
	for i, id := range ids[:20] {
		update(t, w.Sim.Org, id, sfsim.Values{"TextBody": fmt.Sprintf("Corrected text %d.", i)})
	}
	for _, id := range ids[20:35] {
		update(t, w.Sim.Org, id, sfsim.Values{"Status": "1"})
	}
	for _, id := range ids[35:40] {
		if err := w.Sim.Org.Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	seedEmails(t, w.Sim.Org, 10, 10)
	before, wmBefore := w.CM.Stats(), w.watermark(t, "EmailMessage")

	est, err := w.backfill(t, setup{}).Estimate(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	c := est.Counts
	if est.BillableUnits() != 30 || c.Created != 10 || c.TextUpdated != 20 || c.MetadataUpdated != 15 || c.Deleted != 5 {
		t.Fatalf("estimate %+v (billable %d), want 10 created, 20 text and 15 metadata updates, 5 deletes: 30 units", c, est.BillableUnits())
	}
	if after := w.CM.Stats(); after.CommentsReceived != before.CommentsReceived || after.Deleted != before.Deleted {
		t.Fatal("the dry run sent something to CM")
	}
	if wm := w.watermark(t, "EmailMessage"); wm != wmBefore {
		t.Fatalf("the dry run moved the watermark from %v to %v", wmBefore, wm)
	}

	sum, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	billed := w.CM.Stats().BillableUnits - before.BillableUnits
	if billed != int64(est.BillableUnits()) || sum.Upload.BillableUnits != billed {
		t.Fatalf("CM billed %d units, the run counted %d, the estimate said %d", billed, sum.Upload.BillableUnits, est.BillableUnits())
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

func update(t *testing.T, org *sfsim.Org, id string, v sfsim.Values) {
	t.Helper()
	if err := org.Update(id, v); err != nil {
		t.Fatal(err)
	}
}
