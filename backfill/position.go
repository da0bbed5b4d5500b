package backfill

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Position is a record's place in the backfill order: SystemModstamp, then
// Id. The zero Position lies before every record.
type Position struct {
	Modstamp time.Time
	// ID breaks ties between records stamped in the same millisecond;
	// empty means "before every record at Modstamp".
	ID string
}

// IsZero reports whether p is the start of everything.
func (p Position) IsZero() bool { return p.Modstamp.IsZero() && p.ID == "" }

// Compare orders positions as `ORDER BY SystemModstamp, Id` does. Record
// IDs compare byte by byte, as Salesforce compares ID values.
func (p Position) Compare(q Position) int {
	if c := p.Modstamp.Compare(q.Modstamp); c != 0 {
		return c
	}
	return strings.Compare(p.ID, q.ID)
}

// After reports whether p comes after q.
func (p Position) After(q Position) bool { return p.Compare(q) > 0 }

// String is the position for messages, e.g. 2026-03-01T10:00:00.000Z/02s….
func (p Position) String() string {
	if p.IsZero() {
		return "the beginning"
	}
	return soqlTime(p.Modstamp) + "/" + p.ID
}

// watermark is the stored form of p.
func (p Position) watermark() replay.Watermark {
	return replay.Watermark{Modstamp: p.Modstamp, RecordID: p.ID}
}

// positionOfWatermark reads a stored watermark back, refusing an ID that
// could not be a Salesforce ID (it goes into SOQL).
func positionOfWatermark(w replay.Watermark) (Position, error) {
	if w.RecordID != "" && !recordIDPattern.MatchString(w.RecordID) {
		return Position{}, fmt.Errorf("read watermark: record ID %q is not a Salesforce ID", w.RecordID)
	}
	return Position{Modstamp: w.Modstamp.UTC(), ID: w.RecordID}, nil
}

// recordIDPattern is a 15- or 18-character Salesforce ID.
var recordIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$`)

// positionOf reads a queried record's position.
func positionOf(rec salesforce.Record) (Position, error) {
	id := rec.ID()
	stamp, ok := rec[fieldSystemModstamp].(time.Time)
	switch {
	case !recordIDPattern.MatchString(id):
		return Position{}, fmt.Errorf("read queried record: Id %q is not a Salesforce ID", id)
	case !ok:
		return Position{}, fmt.Errorf("read queried record %s: no SystemModstamp date-time", id)
	}
	return Position{Modstamp: stamp.UTC(), ID: id}, nil
}
