package backfill

import (
	"fmt"
	"io"
	"time"
)

// WriteSummary writes what a run did for a person (`sfcdc backfill`'s
// standard output): per object, then the totals with throughput and cost.
func WriteSummary(w io.Writer, s Summary) {
	fmt.Fprintf(w, "backfill summary (%s):\n", s.Elapsed.Round(time.Millisecond))
	for _, o := range s.Objects {
		fmt.Fprintf(w, "  %s: %d records read (%d after the watermark, %d re-checked in the overlap) in %s; %s, %d kept; watermark %s\n",
			o.Object, o.Read+o.Rechecked, o.Read, o.Rechecked, plural(o.Passes, "pass", "passes"), countsText(o.Counts), o.Counts.Kept, o.Watermark)
	}
	read := 0
	for _, o := range s.Objects {
		read += o.Read
	}
	fmt.Fprintf(w, "  throughput: %d records in %s, %s records/s; %d REST calls, %s per 1,000 records; org API usage %d/%d\n",
		read, s.Elapsed.Round(time.Millisecond), perSecond(read, s.Elapsed), s.RESTCalls, perThousand(s.RESTCalls, read), s.APIUsed, s.APILimit)
	u := s.Upload
	fmt.Fprintf(w, "  CM: %d sync and %d delete requests; %d new, %d updated, %d unchanged; %d billable units\n",
		u.SyncRequests, u.DeleteRequests, u.New, u.Updated, u.Unchanged, u.BillableUnits)
}

// WriteEstimate writes what a dry run found (`sfcdc backfill --dry-run`):
// per object what a run would do and which API it would read with, then
// the estimated CM cost.
func WriteEstimate(w io.Writer, e Estimate) {
	fmt.Fprintf(w, "dry run (nothing uploaded, nothing saved; %s):\n", e.Elapsed.Round(time.Millisecond))
	for _, o := range e.Objects {
		c := o.Counts
		fmt.Fprintf(w, "  %s: %d records (%d after the watermark, %d re-checked): would create %d, update the text of %d and the metadata of %d, skip %d unchanged, delete %d, keep %d; %d unmappable\n",
			o.Object, o.Read+o.Rechecked, o.Read, o.Rechecked, c.Created, c.TextUpdated, c.MetadataUpdated, c.Unchanged, c.Deleted, c.Kept, c.DeadLettered)
		fmt.Fprintf(w, "    a run would read over %s (%s); estimated Salesforce API requests for %d records: REST %d, Bulk API 2.0 %d\n",
			apiName(o.API), o.APIReason, o.Total, o.RESTRequests, o.BulkRequests)
	}
	fmt.Fprintf(w, "  estimated CM cost: %d billable units\n", e.BillableUnits())
	fmt.Fprintf(w, "  %d REST calls; org API usage %d/%d\n", e.RESTCalls, e.APIUsed, e.APILimit)
}

// apiName is how the summary names an API.
func apiName(api string) string {
	if api == "bulk" {
		return "Bulk API 2.0"
	}
	return "REST"
}

func countsText(c Counts) string {
	return fmt.Sprintf("%d created, %d text updated, %d metadata updated, %d unchanged, %d deleted, %d dead-lettered",
		c.Created, c.TextUpdated, c.MetadataUpdated, c.Unchanged, c.Deleted, c.DeadLettered)
}

func perSecond(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

func perThousand(calls int64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(calls)*1000/float64(n))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
