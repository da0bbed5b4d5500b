package backfill_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestRecordsThatCannotBeDeliveredAreDeadLetteredAndTheWatermarkPassesThem(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{})
	ids := seedEmails(t, w.Sim.Org, 6, 1)
	for i, id := range ids {
		if i != 3 { // record 3 has no MessageIdentifier, the comment's ID field
			update(t, w.Sim.Org, id, sfsim.Values{"MessageIdentifier": "msg-" + id})
		}
	}
	// CM refuses the first comment (sent alone: one per request).
	w.CM.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: http.StatusUnprocessableEntity, Message: "bad comment"})
	s := setup{
		objects: []mapper.ObjectMapping{{Object: "EmailMessage", Comment: mapper.CommentMapping{ID: "MessageIdentifier"}}},
		upload:  func(c *uploader.Config) { c.MaxBatchComments = 1 },
	}
	sum, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts.DeadLettered != 2 || sum.Counts.Created != 4 {
		t.Fatalf("counts %+v, want 2 dead letters and 4 comments", sum.Counts)
	}
	letters, err := w.Store.ListDeadLetters(context.Background(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, d := range letters {
		reasons[d.RecordID] = d.Reason
	}
	if reasons[ids[0]] != "cm rejected comment" || reasons[ids[3]] != "unmappable record" || len(reasons) != 2 {
		t.Fatalf("dead letters %v, want record 0 rejected by CM and record 3 unmappable", reasons)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID != ids[5] {
		t.Fatalf("watermark at %s, want past every record, at %s", wm.RecordID, ids[5])
	}
}
