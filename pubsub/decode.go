package pubsub

import (
	"context"
	"fmt"
	"time"

	"github.com/linkedin/goavro/v2"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// Allocation caps for goavro, which pre-allocates an array or map block from
// the count written in the payload. Its defaults (MaxInt32) let a 6-byte
// forged payload allocate hundreds of MiB, and a count near 2^31 is a fatal
// out-of-memory, not a recoverable panic. They are package-level variables
// of goavro, so they are set once here, before any decode can run.
//
// 65,536 items: Salesforce replaces any event over 1 MB with a gap event, so
// no real array (recordIds of a merged event: 18 bytes per ID) comes close;
// a forged count allocates at most 1 MiB (16-byte interface per item) before
// the decode fails. 16 MiB per bytes value: far above the 1 MB event limit;
// goavro applies it where it reads from a stream (our byte-slice path is
// already bounded by the payload length).
const (
	maxAvroBlockCount = 1 << 16
	maxAvroBlockSize  = 16 << 20
)

func init() {
	// Only ever lower the caps, in case the program set stricter ones.
	if goavro.MaxBlockCount > maxAvroBlockCount {
		goavro.MaxBlockCount = maxAvroBlockCount
	}
	if goavro.MaxBlockSize > maxAvroBlockSize {
		goavro.MaxBlockSize = maxAvroBlockSize
	}
}

// Decoder turns received events into Events, fetching writer schemas by the
// schema ID each event carries. It is safe for concurrent use.
type Decoder struct {
	schemas *SchemaCache
}

// NewDecoder returns a Decoder that resolves schemas through schemas.
func NewDecoder(schemas *SchemaCache) *Decoder {
	return &Decoder{schemas: schemas}
}

// Decode decodes one received event of topic. A bad event returns a
// *PoisonError; a schema the source does not know returns an error wrapping
// ErrUnknownSchema; a failed schema fetch is returned wrapped as it came.
func (d *Decoder) Decode(ctx context.Context, topic string, received *eventbusv1.ConsumerEvent) (*Event, error) {
	replayID := received.GetReplayId()
	producer := received.GetEvent()
	if producer == nil {
		return nil, &PoisonError{ReplayID: replayID, Reason: ReasonMissingPayload}
	}
	schemaID := producer.GetSchemaId()
	if schemaID == "" {
		return nil, &PoisonError{ReplayID: replayID, Reason: ReasonMissingSchemaID}
	}
	schema, err := d.schemas.Get(ctx, schemaID)
	if err != nil {
		return nil, fmt.Errorf("decode event (replay ID %x): %w", replayID, err)
	}
	// The payload was allocated for this message by the protobuf decoder
	// and nothing writes to it again, so the event's strings may point
	// into it instead of copying 5-10 KB per event.
	event, poison := schema.decodeOwnedEvent(producer.GetPayload())
	if poison != nil {
		poison.ReplayID, poison.SchemaID = replayID, schemaID
		return nil, poison
	}
	event.Topic, event.ReplayID, event.SchemaID, event.EventUUID = topic, replayID, schemaID, producer.GetId()
	return event, nil
}

// decodeEvent decodes a payload written with s into an Event without its
// identity fields; failures are poison (the caller adds replay and schema ID).
// The event keeps no reference to payload.
func (s *WriterSchema) decodeEvent(payload []byte) (*Event, *PoisonError) {
	return s.decodeEventOf(payload, false)
}

// decodeOwnedEvent is decodeEvent for a payload that nobody modifies
// afterwards: the event's strings may share its bytes.
func (s *WriterSchema) decodeOwnedEvent(payload []byte) (*Event, *PoisonError) {
	return s.decodeEventOf(payload, true)
}

func (s *WriterSchema) decodeEventOf(payload []byte, owned bool) (*Event, *PoisonError) {
	if len(payload) == 0 {
		return nil, &PoisonError{Reason: ReasonMissingPayload}
	}
	fields, poison := s.decodeRecord(payload, owned)
	if poison != nil {
		return nil, poison
	}
	event := &Event{Fields: fields}
	if s.header == nil {
		return event, nil
	}
	headerRecord, _ := fields[changeEventHeaderField].(map[string]any)
	delete(fields, changeEventHeaderField)
	header, err := readHeader(headerRecord)
	if err != nil {
		return nil, &PoisonError{Reason: ReasonMalformedHeader, Err: err}
	}
	if err := header.expandBitmaps(s); err != nil {
		return nil, &PoisonError{Reason: ReasonMalformedBitmap, Err: err}
	}
	event.Header = header
	return event, nil
}

// decodeRecord runs goavro and normalises its output in place.
func (s *WriterSchema) decodeRecord(payload []byte, owned bool) (map[string]any, *PoisonError) {
	if s.fast != nil {
		if record, rest, err := s.fast.decodeRecordOf(payload, owned); err == nil {
			if len(rest) != 0 {
				return nil, &PoisonError{Reason: ReasonTrailingBytes, Err: fmt.Errorf("%d of %d bytes left after the record", len(rest), len(payload))}
			}
			return record, nil
		}
		// Not readable here: goavro decides, and its error is reported.
	}
	native, rest, err := s.nativeFromBinary(payload)
	if err != nil {
		return nil, &PoisonError{Reason: ReasonUndecodablePayload, Err: err}
	}
	if len(rest) != 0 {
		return nil, &PoisonError{Reason: ReasonTrailingBytes, Err: fmt.Errorf("%d of %d bytes left after the record", len(rest), len(payload))}
	}
	record, ok := native.(map[string]any)
	if !ok {
		return nil, &PoisonError{Reason: ReasonUndecodablePayload, Err: fmt.Errorf("decode record: goavro returned %T", native)}
	}
	s.root.normaliseRecord(record)
	return record, nil
}

// nativeFromBinary calls goavro, turning a panic on hostile bytes into an
// error: one bad event must never take the process down.
func (s *WriterSchema) nativeFromBinary(payload []byte) (native any, rest []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			native, rest, err = nil, nil, fmt.Errorf("decode avro: goavro panicked: %v", p)
		}
	}()
	native, rest, err = s.codec.NativeFromBinary(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("decode avro: %w", err)
	}
	return native, rest, nil
}

// planKind says what normalising a decoded value of one schema type takes.
type planKind uint8

const (
	keepValue   planKind = iota // primitives, enums, bytes: goavro's value is final
	epochMillis                 // a date-time long: int64 ms → time.Time UTC
	recordValue                 // map[string]any: normalise its fields
	unionValue                  // goavro's map[string]any{"branch": v}: unwrap
	arrayValue                  // []any: normalise each item
	mapValue                    // map[string]any: normalise each value
)

// valuePlan is the precomputed normalisation of one schema type, so a decode
// never looks at the schema JSON.
type valuePlan struct {
	kind     planKind
	record   *recordPlan   // recordValue
	elem     *valuePlan    // arrayValue, mapValue
	branches []unionBranch // unionValue: the non-null branches
}

type unionBranch struct {
	name string // goavro's wrapper key: the type's full name
	plan *valuePlan
}

type recordPlan struct {
	name   string // full name
	fields []fieldPlan
	work   []fieldPlan // the fields whose values need normalising
}

type fieldPlan struct {
	name string
	plan *valuePlan
}

var (
	keepPlan        = &valuePlan{kind: keepValue}
	epochMillisPlan = &valuePlan{kind: epochMillis}
)

func (p *valuePlan) normalise(v any) any {
	switch p.kind {
	case epochMillis:
		return toUTCTime(v)
	case recordValue:
		if m, ok := v.(map[string]any); ok {
			p.record.normaliseRecord(m)
		}
	case unionValue:
		return p.unwrapUnion(v)
	case arrayValue:
		if items, ok := v.([]any); ok {
			for i := range items {
				items[i] = p.elem.normalise(items[i])
			}
		}
	case mapValue:
		if m, ok := v.(map[string]any); ok {
			for k, item := range m {
				m[k] = p.elem.normalise(item)
			}
		}
	}
	return v
}

func (r *recordPlan) normaliseRecord(m map[string]any) {
	for _, f := range r.work {
		if v := m[f.name]; v != nil { // null needs no work: skip the store
			m[f.name] = f.plan.normalise(v)
		}
	}
}

// unwrapUnion replaces goavro's one-key wrapper by the value it holds.
func (p *valuePlan) unwrapUnion(v any) any {
	wrapper, ok := v.(map[string]any)
	if !ok || len(wrapper) != 1 {
		return v // null, or not a goavro union wrapper
	}
	// Fast path for the common ["null", T]: a lookup by the expected key is
	// cheaper than starting a map iteration.
	if len(p.branches) == 1 {
		if inner, ok := wrapper[p.branches[0].name]; ok {
			return p.branches[0].plan.normalise(inner)
		}
	}
	for branch, inner := range wrapper {
		return p.branch(branch).normalise(inner)
	}
	return v
}

func (p *valuePlan) branch(name string) *valuePlan {
	if len(p.branches) == 1 {
		return p.branches[0].plan
	}
	for _, b := range p.branches {
		if b.name == name {
			return b.plan
		}
	}
	return keepPlan
}

func toUTCTime(v any) any {
	switch t := v.(type) {
	case int64:
		return time.UnixMilli(t).UTC()
	case time.Time: // a timestamp logical type, already converted by goavro
		return t.UTC()
	}
	return v
}
