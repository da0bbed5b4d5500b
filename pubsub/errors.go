package pubsub

import (
	"errors"
	"fmt"
)

// Errors of the decoding half. Callers branch on three classes:
//
//   - *PoisonError: this one event cannot be decoded (bad payload, bad
//     bitmap, trailing bytes). Dead-letter it with its replay ID and go on;
//     retrying yields the same result.
//   - ErrUnknownSchema: the schema source does not know the event's schema
//     ID. Nothing decodes until that is resolved.
//   - ErrInvalidSchema: the source returned a schema that cannot be compiled.
//
// Anything else (a failed or cancelled schema fetch) is returned wrapped as it
// came and is usually transient.
var (
	// ErrUnknownSchema means the schema source has no schema for the ID.
	ErrUnknownSchema = errors.New("unknown schema ID")
	// ErrInvalidSchema means the schema JSON is not a usable Avro record
	// schema.
	ErrInvalidSchema = errors.New("invalid schema")

	// ErrMalformedBitmap means a bitmap entry is not "0x<hex>" or
	// "<position>-0x<hex>".
	ErrMalformedBitmap = errors.New("malformed bitmap")
	// ErrBitmapMismatch means a well-formed bitmap entry does not fit the
	// writer schema: a bit or position beyond the field list, or a position
	// that is not a compound (record) field.
	ErrBitmapMismatch = errors.New("bitmap does not match the writer schema")
)

// Reasons a PoisonError carries; stable strings for dead letters and metrics.
const (
	ReasonMissingPayload     = "missing payload"
	ReasonMissingSchemaID    = "missing schema ID"
	ReasonUndecodablePayload = "undecodable payload"
	ReasonTrailingBytes      = "trailing bytes after record"
	ReasonMalformedHeader    = "malformed change event header"
	ReasonMalformedBitmap    = "malformed bitmap"
)

// PoisonError reports one event that can never be decoded as delivered. It is
// never retried: the caller records it (replay ID, schema ID, reason) and
// continues with the next event.
type PoisonError struct {
	ReplayID []byte
	SchemaID string
	Reason   string // one of the Reason* constants
	Err      error  // the cause; may be nil
}

func (e *PoisonError) Error() string {
	msg := fmt.Sprintf("decode event (replay ID %x, schema %q): %s", e.ReplayID, e.SchemaID, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PoisonError) Unwrap() error { return e.Err }

// maxEntryInError bounds how much of a (possibly forged, megabyte-long) bitmap
// entry is copied into an error message.
const maxEntryInError = 64

// BitmapError reports one entry of a changedFields/nulledFields/diffFields
// list that cannot be expanded. It unwraps to ErrMalformedBitmap or
// ErrBitmapMismatch.
type BitmapError struct {
	Entry string // the offending entry, cut to 64 bytes
	Err   error
}

func newBitmapError(entry string, kind error, format string, args ...any) *BitmapError {
	if len(entry) > maxEntryInError {
		entry = entry[:maxEntryInError] + "…"
	}
	return &BitmapError{Entry: entry, Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}

func (e *BitmapError) Error() string {
	return fmt.Sprintf("expand bitmap entry %q: %v", e.Entry, e.Err)
}

func (e *BitmapError) Unwrap() error { return e.Err }
