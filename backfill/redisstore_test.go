package backfill_test

import (
	"context"
	"testing"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// Every other test here runs on the embedded file store; this one runs the
// same state (hashes, watermarks) through Redis.
func TestARedisStoreKeepsTheBackfillStateLikeTheFileStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Store: simworld.Redis})
	seedEmails(t, w.Sim.Org, 500, 100)
	for range 2 {
		if _, err := w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}}).Run(context.Background(), backfill.Request{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if st := w.CM.Stats(); st.CommentsReceived != 500 {
		t.Fatalf("CM received %d comments over two runs, want 500: the second run must find every hash", st.CommentsReceived)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID == "" {
		t.Fatal("no watermark in Redis")
	}
}
