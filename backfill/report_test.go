package backfill_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
)

// The summary and the estimate are `sfcdc backfill`'s standard output:
// their text is compared byte for byte.

func TestWriteSummaryIsOneLinePerObjectThenTheTotals(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := backfill.Summary{
		Objects: []backfill.ObjectSummary{
			{Object: "EmailMessage", Read: 1000, Rechecked: 20, Passes: 2, Watermark: backfill.Position{Modstamp: at, ID: "02s000000000001"},
				Counts: backfill.Counts{Created: 900, TextUpdated: 50, MetadataUpdated: 10, Unchanged: 30, Deleted: 5, Kept: 3, DeadLettered: 2}},
			{Object: "Case", Read: 0, Passes: 1},
		},
		Upload:    backfill.UploadStats{SyncRequests: 10, DeleteRequests: 1, New: 900, Updated: 60, Unchanged: 3, BillableUnits: 950},
		RESTCalls: 12, APIUsed: 140, APILimit: 15000, Elapsed: 2*time.Second + 400*time.Microsecond,
	}
	var out bytes.Buffer
	backfill.WriteSummary(&out, s)
	want := "backfill summary (2s):\n" +
		"  EmailMessage: 1020 records read (1000 after the watermark, 20 re-checked in the overlap) in 2 passes; 900 created, 50 text updated, 10 metadata updated, 30 unchanged, 5 deleted, 2 dead-lettered, 3 kept; watermark 2026-03-01T10:00:00.000Z/02s000000000001\n" +
		"  Case: 0 records read (0 after the watermark, 0 re-checked in the overlap) in 1 pass; 0 created, 0 text updated, 0 metadata updated, 0 unchanged, 0 deleted, 0 dead-lettered, 0 kept; watermark the beginning\n" +
		"  throughput: 1000 records in 2s, 500 records/s; 12 REST calls, 12.00 per 1,000 records; org API usage 140/15000\n" +
		"  CM: 10 sync and 1 delete requests; 900 new, 60 updated, 3 unchanged; 950 billable units\n"
	if out.String() != want {
		t.Fatalf("summary:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWriteSummaryOfNothingReadHasNoRates(t *testing.T) {
	var out bytes.Buffer
	backfill.WriteSummary(&out, backfill.Summary{})
	want := "backfill summary (0s):\n" +
		"  throughput: 0 records in 0s, - records/s; 0 REST calls, - per 1,000 records; org API usage 0/0\n" +
		"  CM: 0 sync and 0 delete requests; 0 new, 0 updated, 0 unchanged; 0 billable units\n"
	if out.String() != want {
		t.Fatalf("summary:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWriteEstimateNamesTheAPIEachObjectWouldUse(t *testing.T) {
	e := backfill.Estimate{
		Objects: []backfill.ObjectSummary{
			{Object: "EmailMessage", Total: 60000, Read: 60000, Rechecked: 10, API: "bulk", APIReason: "60000 records, at least bulk_threshold 50000",
				RESTRequests: 30, BulkRequests: 4, Counts: backfill.Counts{Created: 59000, TextUpdated: 500, MetadataUpdated: 400, Unchanged: 100, Deleted: 7, Kept: 1, DeadLettered: 2}},
			{Object: "Case", Total: 3, Read: 3, API: "rest", APIReason: "3 records, under bulk_threshold 50000", RESTRequests: 1, BulkRequests: 4},
		},
		Counts:    backfill.Counts{Created: 59000, TextUpdated: 500},
		RESTCalls: 33, APIUsed: 200, APILimit: 15000, Elapsed: 1500 * time.Millisecond,
	}
	var out bytes.Buffer
	backfill.WriteEstimate(&out, e)
	want := "dry run (nothing uploaded, nothing saved; 1.5s):\n" +
		"  EmailMessage: 60010 records (60000 after the watermark, 10 re-checked): would create 59000, update the text of 500 and the metadata of 400, skip 100 unchanged, delete 7, keep 1; 2 unmappable\n" +
		"    a run would read over Bulk API 2.0 (60000 records, at least bulk_threshold 50000); estimated Salesforce API requests for 60000 records: REST 30, Bulk API 2.0 4\n" +
		"  Case: 3 records (3 after the watermark, 0 re-checked): would create 0, update the text of 0 and the metadata of 0, skip 0 unchanged, delete 0, keep 0; 0 unmappable\n" +
		"    a run would read over REST (3 records, under bulk_threshold 50000); estimated Salesforce API requests for 3 records: REST 1, Bulk API 2.0 4\n" +
		"  estimated CM cost: 59500 billable units\n" +
		"  33 REST calls; org API usage 200/15000\n"
	if out.String() != want {
		t.Fatalf("estimate:\n%s\nwant:\n%s", out.String(), want)
	}
}
