package salesforce

import (
	"fmt"
	"time"

	"github.com/linkedin/goavro/v2"
)

// ChangeType is the changeType of a change event header.
type ChangeType string

// Change types (reference §3.3).
const (
	ChangeCreate   ChangeType = "CREATE"
	ChangeUpdate   ChangeType = "UPDATE"
	ChangeDelete   ChangeType = "DELETE"
	ChangeUndelete ChangeType = "UNDELETE"
	GapCreate      ChangeType = "GAP_CREATE"
	GapUpdate      ChangeType = "GAP_UPDATE"
	GapDelete      ChangeType = "GAP_DELETE"
	GapUndelete    ChangeType = "GAP_UNDELETE"
	GapOverflow    ChangeType = "GAP_OVERFLOW"
)

// gapOf is the gap event type sent instead of an event of type t.
func gapOf(t ChangeType) ChangeType { return "GAP_" + t }

// ChangeEventHeader is field 0 of every change event, in schema order.
type ChangeEventHeader struct {
	EntityName      string
	RecordIDs       []string
	ChangeType      ChangeType
	ChangeOrigin    string
	TransactionKey  string
	SequenceNumber  int32
	CommitTimestamp int64 // epoch milliseconds
	CommitNumber    int64
	CommitUser      string
	NulledFields    []string // bitmaps, see FieldSet
	DiffFields      []string
	ChangedFields   []string
}

func (h ChangeEventHeader) native() map[string]any {
	return map[string]any{
		"entityName":      h.EntityName,
		"recordIds":       stringsNative(h.RecordIDs),
		"changeType":      string(h.ChangeType),
		"changeOrigin":    h.ChangeOrigin,
		"transactionKey":  h.TransactionKey,
		"sequenceNumber":  h.SequenceNumber,
		"commitTimestamp": h.CommitTimestamp,
		"commitNumber":    h.CommitNumber,
		"commitUser":      h.CommitUser,
		"nulledFields":    stringsNative(h.NulledFields),
		"diffFields":      stringsNative(h.DiffFields),
		"changedFields":   stringsNative(h.ChangedFields),
	}
}

func stringsNative(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// eventBody is what one change puts in its event besides the header.
type eventBody struct {
	// values maps body field names to stored values (or diff text);
	// absent or nil = null. Keys that are not body fields are ignored.
	values  Values
	changed FieldSet // UPDATE only
	nulled  FieldSet
	diffed  FieldSet
	weight  int // changes counted toward the overflow limit
}

// buildBody fills an event body by change type (reference §3.4): CREATE and
// UNDELETE carry every non-null field, UPDATE only the changed ones, DELETE
// nothing.
func buildBody(s *EventSchema, c recordChange, diffs bool) eventBody {
	b := eventBody{weight: 1}
	switch c.kind {
	case ChangeCreate, ChangeUndelete:
		// The record itself: its fields outside the schema's body are
		// never read (encode and mergeInto look up body fields only), and
		// the snapshot is never written again (Tx.stage), so no copy.
		b.values = c.after
	case ChangeUpdate:
		b.values = Values{}
		for _, f := range s.Body {
			b.addUpdatedField(s.position[f.Name], f, c.before[f.Name], c.after[f.Name], diffs)
		}
		b.weight = len(b.changed.Top)
		for _, comps := range b.changed.Components {
			b.weight += len(comps)
		}
	}
	return b
}

// addUpdatedField records one field of an UPDATE if it changed.
// LastModifiedDate is always reported changed.
func (b *eventBody) addUpdatedField(pos int, f Field, before, after any, diffs bool) {
	if f.Type.IsCompound() {
		b.addUpdatedComponents(pos, f, before, after)
		return
	}
	if sameValue(before, after) && f.Name != FieldLastModifiedDate {
		return
	}
	b.changed.add(pos)
	if after == nil {
		b.nulled.add(pos)
		return
	}
	b.values[f.Name] = after
	if old, ok := before.(string); ok && diffs && f.Type == TypeTextArea {
		if d, ok := unifiedDiff(old, after.(string)); ok {
			b.values[f.Name] = d
			b.diffed.add(pos)
		}
	}
}

// addUpdatedComponents reports changed components of a compound field; the
// nested record carries only those, the others are null.
func (b *eventBody) addUpdatedComponents(pos int, f Field, before, after any) {
	oldParts, _ := before.(Values)
	newParts, _ := after.(Values)
	part := Values{}
	for i, c := range f.Components {
		if sameValue(oldParts[c.Name], newParts[c.Name]) {
			continue
		}
		b.changed.addComponent(pos, i)
		if v := newParts[c.Name]; v != nil {
			part[c.Name] = v
		} else {
			b.nulled.addComponent(pos, i)
		}
	}
	if len(b.changed.Components[pos]) > 0 {
		b.values[f.Name] = part
	}
}

// encode writes header and body as Avro binary with the schema.
func (s *EventSchema) encode(h ChangeEventHeader, body Values) ([]byte, error) {
	if buf, ok := s.encodeFast(h, body); ok {
		return buf, nil
	}
	return s.encodeGoavro(h, body)
}

// encodeGoavro is encode through goavro's generic path.
func (s *EventSchema) encodeGoavro(h ChangeEventHeader, body Values) ([]byte, error) {
	native := make(map[string]any, len(s.Body)+1)
	native["ChangeEventHeader"] = h.native()
	size := 512 // the header and the union indexes, roughly
	for _, f := range s.Body {
		v := body[f.Name]
		if str, ok := v.(string); ok {
			size += len(str) + 10
		}
		native[f.Name] = avroValue(f, v)
	}
	// Sized up front: growing the buffer by doubling copied each multi-KB
	// email body about twice.
	buf, err := s.codec.BinaryFromNative(make([]byte, 0, size+len(s.Body)), native)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", s.Entity, err)
	}
	return buf, nil
}

// avroValue wraps a stored value in the union branch of its field.
func avroValue(f Field, v any) any {
	parts, isCompound := v.(Values)
	if !isCompound || !f.Type.IsCompound() {
		return scalarAvroValue(f.Type, v)
	}
	rec := make(map[string]any, len(f.Components))
	for _, c := range f.Components {
		rec[c.Name] = scalarAvroValue(c.Type, parts[c.Name])
	}
	return goavro.Union(EventNamespace+"."+compoundRecordName(f.Type), rec)
}

func scalarAvroValue(t FieldType, v any) any {
	switch x := v.(type) {
	case string:
		return goavro.Union("string", x)
	case bool:
		return goavro.Union("boolean", x)
	case int64:
		return goavro.Union("int", int32(x))
	case float64:
		return goavro.Union("double", x)
	case time.Time:
		if t == TypeDate {
			return goavro.Union("int", int32(x.Unix()/86400))
		}
		return goavro.Union("long", x.UnixMilli())
	}
	return nil
}
