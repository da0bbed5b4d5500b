package backfill

import "time"

// Phase says what a Progress report is about.
type Phase uint8

const (
	// PhaseReading: a page was read and handed on.
	PhaseReading Phase = iota
	// PhaseCaughtUp: the object has no more changes to read for now.
	PhaseCaughtUp
	// PhaseWaiting: follow mode is waiting for the next poll.
	PhaseWaiting
	// PhaseBulkJob: a Bulk API 2.0 query job was created or reopened
	// (BulkState says how far Salesforce is), or it completed.
	PhaseBulkJob
)

var phaseNames = [...]string{"reading", "caught up", "waiting", "Bulk job"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// Progress is a report on one object (none for PhaseWaiting).
type Progress struct {
	Phase  Phase
	Object string
	// Total is the records expected: COUNT() of the changes after the
	// watermark when the run started, plus changes found since.
	Total int
	// Read counts the records after the watermark read so far;
	// Rechecked the re-read records of the overlap.
	Read, Rechecked int
	// Pass numbers the queries of the object, from 1.
	Pass int
	// Counts tally the outcomes so far (or, for Estimate, what would be done).
	Counts Counts
	// Watermark is the position saved last.
	Watermark Position
	// BulkJob and BulkState are the Bulk API 2.0 query job of
	// PhaseBulkJob and its state (UploadComplete, InProgress,
	// JobComplete, Failed, Aborted).
	BulkJob, BulkState string
}

// ObjectSummary is what a run did for one object.
type ObjectSummary struct {
	Object string
	// Total is COUNT() of the changes after the watermark at the start.
	Total int
	// Read and Rechecked count records after the starting watermark and
	// re-read ones of the overlap.
	Read, Rechecked int
	Passes          int
	Counts          Counts
	// API is how the records were (or, for Estimate, would be) read:
	// "bulk" or "rest"; APIReason says why.
	API, APIReason string
	// RESTRequests and BulkRequests estimate the Salesforce API requests
	// reading Total records takes over REST and through a Bulk job
	// (Estimate only).
	RESTRequests, BulkRequests int
	// Watermark is the position saved last (zero if none).
	Watermark Position
}

// Summary is what a Run did.
type Summary struct {
	Objects []ObjectSummary
	// Counts adds up the objects' counts.
	Counts Counts
	// Upload is the uploader's view, with CM's own new/updated/unchanged
	// answers and BillableUnits, the charge CM reported.
	Upload UploadStats
	// RESTCalls counts this run's Salesforce REST calls; APIUsed and
	// APILimit are the org's daily usage as last reported (0 if unknown).
	RESTCalls         int64
	APIUsed, APILimit int
	Elapsed           time.Duration
}

// UploadStats are the CM figures of a run.
type UploadStats struct {
	SyncRequests, DeleteRequests int64
	New, Updated, Unchanged      int64
	BillableUnits                int64
}

// Estimate is what a Run with the same request would do, found by reading
// the same records and comparing their hashes, without uploading.
type Estimate struct {
	Objects []ObjectSummary
	// Counts adds up the objects' counts: Created and TextUpdated are
	// the comments CM would bill.
	Counts            Counts
	RESTCalls         int64
	APIUsed, APILimit int
	Elapsed           time.Duration
}

// BillableUnits is CM's charge for the estimated run.
func (e Estimate) BillableUnits() int { return e.Counts.BillableUnits() }
