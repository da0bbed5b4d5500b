package mapper

import (
	"errors"
	"fmt"
)

// ErrUnknownObject means a record or event names an object the
// configuration does not map.
var ErrUnknownObject = errors.New("object not in the mapping configuration")

// RecordError says why one record cannot become a comment. It concerns that
// record only: the caller dead-letters it and goes on.
type RecordError struct {
	Object   string
	RecordID string
	Field    string
	Reason   string
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("map %s record %s: field %s: %s", e.Object, e.RecordID, e.Field, e.Reason)
}

func recordError(rec Record, field, reason string) *RecordError {
	return &RecordError{Object: rec.Object, RecordID: rec.ID, Field: field, Reason: reason}
}
