package backfill_test

import (
	"context"
	"testing"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// A backfill of many pages lands exactly one comment per record, each
// billed once.
//
// 2,000 records in pages of 200 (the smallest Salesforce allows) and
// upload batches of at most 400 comments are the ten pages, nine page
// boundaries and several upload batches that 20,000 records made with the
// default pages of 2,000 and batches of 1,024, for a tenth of the records
// to seed, map and compare under -race (it was 5,000 in pages of 500).
func TestABackfillOfTenPagesLandsExactlyTheExpectedComments(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("2,000 records: skipped with -short")
	}
	const n, page = 2_000, 200
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	seedEmails(t, w.Sim.Org, n, 100)
	s := setup{cfg: backfill.Config{PageSize: page}, upload: func(c *uploader.Config) { c.MaxBatchComments = 400 }}
	sum, err := w.backfill(t, s).Run(context.Background(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	st := w.CM.Stats()
	if st.New != n || st.BillableUnits != n || sum.Upload.BillableUnits != n {
		t.Fatalf("CM counted %d new and billed %d units, the run %d; want %d each", st.New, st.BillableUnits, sum.Upload.BillableUnits, n)
	}
	if sum.Upload.SyncRequests < 5 || sum.RESTCalls < n/page {
		t.Fatalf("%d sync requests and %d REST calls: want several batches and at least one call per page (%d)", sum.Upload.SyncRequests, sum.RESTCalls, n/page)
	}
	o := sum.Objects[0]
	if o.Total != n || o.Read != n || o.Counts.Created != n {
		t.Fatalf("summary: total %d, read %d, created %d; want %d each", o.Total, o.Read, o.Counts.Created, n)
	}
	t.Logf("%d records in %v: %.0f records/s; %d REST calls (%.2f per 1,000 records), %d CM sync requests",
		n, sum.Elapsed, float64(n)/sum.Elapsed.Seconds(), sum.RESTCalls, float64(sum.RESTCalls)*1000/n, sum.Upload.SyncRequests)
}
