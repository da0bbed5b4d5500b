package pubsub

import (
	"fmt"
	"time"
)

// Event is one decoded Pub/Sub event: a CDC change event or a platform event.
type Event struct {
	Topic     string // the topic it was received on, e.g. "/data/EmailMessageChangeEvent"
	ReplayID  []byte // opaque; stored verbatim, never compared for order
	SchemaID  string // the writer schema the payload was decoded with
	EventUUID string // ProducerEvent.id

	// Header is the ChangeEventHeader of a CDC event, nil for a platform
	// event (a schema whose field 0 is not ChangeEventHeader).
	Header *ChangeEventHeader

	// Fields holds every record field of the writer schema except
	// ChangeEventHeader, keyed by field name. Unions are flattened (a field
	// holds its value or nil), compound fields (Address, Name…) are
	// map[string]any of their components, date-time longs are time.Time in
	// UTC (rule in doc.go), other longs int64, ints int32, doubles float64.
	// Unchanged fields of an UPDATE are nil even when the record has a
	// value: read Header.ChangedFields to know what changed.
	Fields map[string]any
}

// Change types of ChangeEventHeader.ChangeType.
const (
	ChangeCreate      = "CREATE"
	ChangeUpdate      = "UPDATE"
	ChangeDelete      = "DELETE"
	ChangeUndelete    = "UNDELETE"
	ChangeGapCreate   = "GAP_CREATE"
	ChangeGapUpdate   = "GAP_UPDATE"
	ChangeGapDelete   = "GAP_DELETE"
	ChangeGapUndelete = "GAP_UNDELETE"
	ChangeGapOverflow = "GAP_OVERFLOW"
)

// ChangeEventHeader is the header of a CDC event with its three bitmap lists
// expanded to field names against the event's writer schema.
type ChangeEventHeader struct {
	EntityName      string
	RecordIDs       []string
	ChangeType      string // one of the Change* constants
	ChangeOrigin    string
	TransactionKey  string
	SequenceNumber  int32
	CommitTimestamp time.Time // UTC
	CommitNumber    int64     // may exceed 2^53; diagnostic only
	CommitUser      string

	// Expanded field names, top-level fields in schema order, then compound
	// components as "Parent.Child" (see ExpandBitmap). Nil when empty.
	NulledFields  []string
	DiffFields    []string
	ChangedFields []string

	// The bitmap strings as delivered, kept for dead letters and debugging.
	RawNulledFields  []string
	RawDiffFields    []string
	RawChangedFields []string
}

// headerReader reads typed header fields out of a normalised header record
// and keeps the first type mismatch, so the extraction reads as a list.
type headerReader struct {
	record map[string]any
	err    error
}

func (r *headerReader) fail(name string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("read header field %s: got %T, want %s", name, v, want)
	}
}

func (r *headerReader) string(name string) string {
	switch v := r.record[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		r.fail(name, v, "string")
		return ""
	}
}

func (r *headerReader) strings(name string) []string {
	switch v := r.record[name].(type) {
	case nil:
		return nil
	case []any:
		if len(v) == 0 {
			return nil
		}
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				r.fail(name, item, "array of string")
				return nil
			}
			out[i] = s
		}
		return out
	default:
		r.fail(name, v, "array of string")
		return nil
	}
}

func (r *headerReader) int32(name string) int32 {
	switch v := r.record[name].(type) {
	case nil:
		return 0
	case int32:
		return v
	default:
		r.fail(name, v, "int")
		return 0
	}
}

func (r *headerReader) int64(name string) int64 {
	switch v := r.record[name].(type) {
	case nil:
		return 0
	case int64:
		return v
	default:
		r.fail(name, v, "long")
		return 0
	}
}

// time accepts the epoch-millisecond long Salesforce sends and, should a
// schema ever carry a timestamp logical type, the time.Time goavro makes of it.
func (r *headerReader) time(name string) time.Time {
	switch v := r.record[name].(type) {
	case nil:
		return time.Time{}
	case int64:
		return time.UnixMilli(v).UTC()
	case time.Time:
		return v.UTC()
	default:
		r.fail(name, v, "long")
		return time.Time{}
	}
}

// readHeader extracts the header; bitmap expansion is left to the caller.
func readHeader(record map[string]any) (*ChangeEventHeader, error) {
	r := headerReader{record: record}
	h := &ChangeEventHeader{
		EntityName:       r.string("entityName"),
		RecordIDs:        r.strings("recordIds"),
		ChangeType:       r.string("changeType"),
		ChangeOrigin:     r.string("changeOrigin"),
		TransactionKey:   r.string("transactionKey"),
		SequenceNumber:   r.int32("sequenceNumber"),
		CommitTimestamp:  r.time("commitTimestamp"),
		CommitNumber:     r.int64("commitNumber"),
		CommitUser:       r.string("commitUser"),
		RawNulledFields:  r.strings("nulledFields"),
		RawDiffFields:    r.strings("diffFields"),
		RawChangedFields: r.strings("changedFields"),
	}
	if r.err != nil {
		return nil, r.err
	}
	// Avro has no checksum: a flipped byte can still decode. An event
	// without these two cannot be routed, so it is refused here.
	if h.EntityName == "" || h.ChangeType == "" {
		return nil, fmt.Errorf("read header: entityName %q and changeType %q must both be set", h.EntityName, h.ChangeType)
	}
	return h, nil
}

// expandBitmaps fills the expanded name lists from the raw bitmaps.
func (h *ChangeEventHeader) expandBitmaps(s *WriterSchema) error {
	var err error
	if h.NulledFields, err = s.ExpandBitmap(h.RawNulledFields); err != nil {
		return fmt.Errorf("expand nulledFields: %w", err)
	}
	if h.DiffFields, err = s.ExpandBitmap(h.RawDiffFields); err != nil {
		return fmt.Errorf("expand diffFields: %w", err)
	}
	if h.ChangedFields, err = s.ExpandBitmap(h.RawChangedFields); err != nil {
		return fmt.Errorf("expand changedFields: %w", err)
	}
	return nil
}
