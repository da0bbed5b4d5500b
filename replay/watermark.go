package replay

import "time"

// Watermark is how far the REST backfill of one object has read: records
// are read in (SystemModstamp, Id) order, and the next query starts at
// Modstamp (with an overlap chosen by the backfill) skipping Ids up to
// RecordID within that same Modstamp.
type Watermark struct {
	Modstamp time.Time
	// RecordID breaks ties between records with the same Modstamp; empty
	// means "before any record at Modstamp".
	RecordID string
}

const (
	fieldModstamp = "modstamp"
	fieldRecordID = "record_id"
)

func (w Watermark) fields() fields {
	f := fields{fieldRecordID: w.RecordID}
	f.setTime(fieldModstamp, w.Modstamp)
	return f
}

func watermarkFromFields(f fields) (Watermark, error) {
	var w Watermark
	var err error
	if w.Modstamp, err = f.time(fieldModstamp); err != nil {
		return w, err
	}
	if w.Modstamp.IsZero() {
		return w, corruptf("watermark: no modstamp")
	}
	w.RecordID = f[fieldRecordID]
	return w, nil
}

func checkWatermark(w Watermark) error {
	if w.Modstamp.IsZero() {
		return invalidf("watermark without modstamp")
	}
	if len(w.RecordID) > MaxNameBytes {
		return invalidf("watermark record ID of %d bytes", len(w.RecordID))
	}
	return nil
}
