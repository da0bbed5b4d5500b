package replay

import (
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// Watermark is how far the REST backfill of one object has read: records
// are read in (SystemModstamp, Id) order, and the next query starts at
// Modstamp (with an overlap chosen by the backfill) skipping Ids up to
// RecordID within that same Modstamp.
type Watermark struct {
	Modstamp time.Time
	// RecordID breaks ties between records with the same Modstamp; empty
	// means "before any record at Modstamp".
	RecordID string
	// BulkJob and BulkLocator are where a Bulk API 2.0 query job's results
	// are being read: the job's ID and the locator of the first page not
	// yet settled (empty: its first page). Kept with the position they
	// belong to, in one write, so a killed backfill resumes the same job's
	// results while Salesforce retains them instead of querying again.
	// Both empty when no job is being read. A job is stored as soon as it
	// is created, before its first page is settled: an initial backfill
	// then has no position yet, and the watermark is the job alone (zero
	// Modstamp, no RecordID, no locator): a run killed in that first page
	// reads the same job's results again instead of querying again.
	BulkJob, BulkLocator string
}

const (
	fieldModstamp    = "modstamp"
	fieldRecordID    = "record_id"
	fieldBulkJob     = "bulk_job"
	fieldBulkLocator = "bulk_locator"
)

// maxLocatorBytes bounds a stored Bulk locator: Salesforce's are short
// opaque strings; anything longer is not one.
const maxLocatorBytes = 1024

// fields writes every field, empty ones too: a Redis hash is updated
// field by field, so a job that ended must overwrite the old job's ID.
func (w Watermark) fields() fields {
	f := fields{fieldRecordID: w.RecordID, fieldBulkJob: w.BulkJob, fieldBulkLocator: w.BulkLocator}
	f.setTime(fieldModstamp, w.Modstamp)
	return f
}

func watermarkFromFields(f fields) (Watermark, error) {
	var w Watermark
	var err error
	if w.Modstamp, err = f.time(fieldModstamp); err != nil {
		return w, err
	}
	w.RecordID = f[fieldRecordID]
	w.BulkJob, w.BulkLocator = f[fieldBulkJob], f[fieldBulkLocator]
	if w.Modstamp.IsZero() && !w.jobOnly() {
		return w, corruptf("watermark: no modstamp")
	}
	return w, nil
}

// jobOnly reports whether w is a Bulk job stored before any position
// (only then may Modstamp be zero).
func (w Watermark) jobOnly() bool {
	return w.Modstamp.IsZero() && w.RecordID == "" && w.BulkJob != "" && w.BulkLocator == ""
}

func checkWatermark(w Watermark) error {
	if w.Modstamp.IsZero() && !w.jobOnly() {
		return invalidf("watermark without modstamp (only a Bulk job stored before its first page has none)")
	}
	if len(w.RecordID) > MaxNameBytes {
		return invalidf("watermark record ID of %d bytes", len(w.RecordID))
	}
	switch {
	case w.BulkLocator != "" && w.BulkJob == "":
		return invalidf("watermark with a Bulk locator but no Bulk job")
	case w.BulkJob != "" && !isSalesforceID(w.BulkJob):
		return invalidf("watermark Bulk job ID %s is not a Salesforce ID", quote.Value(w.BulkJob))
	case len(w.BulkLocator) > maxLocatorBytes || !printableASCII(w.BulkLocator):
		return invalidf("watermark Bulk locator %s is not a Bulk API locator", quote.Value(w.BulkLocator))
	}
	return nil
}

// isSalesforceID reports whether id has the shape of a 15- or
// 18-character Salesforce ID.
func isSalesforceID(id string) bool {
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
