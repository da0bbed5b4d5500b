package salesforce

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/linkedin/goavro/v2"
)

// EventNamespace is the Avro namespace of every event schema.
const EventNamespace = "com.sforce.eventbus"

// changeTypeSymbols is the ChangeType enum in Salesforce's documented order.
var changeTypeSymbols = []string{
	string(ChangeCreate), string(ChangeUpdate), string(ChangeDelete), string(ChangeUndelete),
	string(GapCreate), string(GapUpdate), string(GapDelete), string(GapUndelete), string(GapOverflow),
}

// EventSchema is one immutable writer schema, identified by a fingerprint of
// its JSON. A change event schema's top-level field i (i ≥ 1) is Body[i-1];
// field 0 is the ChangeEventHeader.
type EventSchema struct {
	ID     string // fingerprint: stable for the same JSON, new when a field is added
	JSON   string
	Entity string  // entityName ("Case") or platform event name ("Alert__e")
	Body   []Field // fields after the header, in schema order (change events only)

	position map[string]int // top-level field name → Avro field index
	codec    *goavro.Codec
}

// Position returns the top-level index of a body field in the Avro record,
// which is its bit in a changedFields bitmap.
func (s *EventSchema) Position(field string) (int, bool) {
	p, ok := s.position[field]
	return p, ok
}

// Codec returns the goavro codec of the schema.
func (s *EventSchema) Codec() *goavro.Codec { return s.codec }

// avroField, avroRecord, avroEnum and avroArray marshal to Avro schema JSON
// with a fixed key order, so the same object always yields the same bytes.
type avroField struct {
	Name    string          `json:"name"`
	Type    any             `json:"type"`
	Doc     string          `json:"doc,omitempty"`
	Default json.RawMessage `json:"default,omitempty"`
}

type avroRecord struct {
	Type      string      `json:"type"`
	Name      string      `json:"name"`
	Namespace string      `json:"namespace,omitempty"`
	Fields    []avroField `json:"fields"`
}

type avroEnum struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Symbols []string `json:"symbols"`
}

type avroArray struct {
	Type  string `json:"type"`
	Items string `json:"items"`
}

var nullDefault = json.RawMessage("null")

// changeEventSchema builds the writer schema of an object's change event
// (reference §4): header first, then every field but Id, IsDeleted and
// SystemModstamp as ["null", T] with default null.
func changeEventSchema(o *Object) (*EventSchema, error) {
	rec := avroRecord{Type: "record", Name: o.ChangeEventName(), Namespace: EventNamespace}
	rec.Fields = append(rec.Fields, avroField{Name: "ChangeEventHeader", Type: headerRecord()})
	s := &EventSchema{Entity: o.Name, position: map[string]int{}}
	named := map[string]bool{}
	for _, f := range o.Fields {
		if !f.InChangeEvent() {
			continue
		}
		s.position[f.Name] = len(rec.Fields)
		s.Body = append(s.Body, f)
		rec.Fields = append(rec.Fields, avroField{Name: f.Name, Type: []any{"null", avroType(f, named)}, Default: nullDefault})
	}
	return s, s.compile(rec)
}

// compile marshals the schema, fingerprints it and builds its codec.
func (s *EventSchema) compile(rec avroRecord) error {
	js, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("marshal schema %s: %w", rec.Name, err)
	}
	codec, err := compiledCodec(string(js))
	if err != nil {
		return fmt.Errorf("compile schema %s: %w", rec.Name, err)
	}
	s.JSON, s.codec, s.ID = string(js), codec, schemaFingerprint(js)
	return nil
}

// codecs holds every schema compiled in this process, by its JSON: orgs of
// the same catalogue have the same schemas, and compiling them was most of
// what starting an org cost (a World of 1,000 orgs). A goavro.Codec is
// immutable and safe for concurrent use; the cache grows only with distinct
// schemas (a new one per added field), which a process makes few of.
var codecs sync.Map // string → *goavro.Codec

func compiledCodec(schemaJSON string) (*goavro.Codec, error) {
	if c, ok := codecs.Load(schemaJSON); ok {
		return c.(*goavro.Codec), nil
	}
	c, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		return nil, err
	}
	actual, _ := codecs.LoadOrStore(schemaJSON, c)
	return actual.(*goavro.Codec), nil
}

// schemaFingerprint is 16 bytes of SHA-256 in URL-safe base64, the shape of
// real schema IDs ("a01VpgrsZNJdn-7KStJcxQ").
func schemaFingerprint(schemaJSON []byte) string {
	sum := sha256.Sum256(schemaJSON)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func headerRecord() avroRecord {
	strs := avroArray{Type: "array", Items: "string"}
	return avroRecord{Type: "record", Name: "ChangeEventHeader", Fields: []avroField{
		{Name: "entityName", Type: "string"},
		{Name: "recordIds", Type: strs},
		{Name: "changeType", Type: avroEnum{Type: "enum", Name: "ChangeType", Symbols: changeTypeSymbols}},
		{Name: "changeOrigin", Type: "string"},
		{Name: "transactionKey", Type: "string"},
		{Name: "sequenceNumber", Type: "int"},
		{Name: "commitTimestamp", Type: "long"},
		{Name: "commitNumber", Type: "long"},
		{Name: "commitUser", Type: "string"},
		{Name: "nulledFields", Type: strs},
		{Name: "diffFields", Type: strs},
		{Name: "changedFields", Type: strs},
	}}
}

// avroType maps a field to its Avro type. A compound record is defined at
// its first use and referenced by name afterwards, as Avro requires.
func avroType(f Field, named map[string]bool) any {
	if !f.Type.IsCompound() {
		return scalarAvroType(f.Type)
	}
	name := compoundRecordName(f.Type)
	if named[name] {
		return name
	}
	named[name] = true
	rec := avroRecord{Type: "record", Name: name}
	for _, c := range f.Components {
		rec.Fields = append(rec.Fields, avroField{Name: c.Name, Type: []any{"null", scalarAvroType(c.Type)}, Default: nullDefault})
	}
	return rec
}

// compoundRecordName names the nested record of a compound type.
func compoundRecordName(t FieldType) string {
	if t == TypeAddress {
		return "Address"
	}
	return "Name"
}

// scalarAvroType: text is string; datetimes are epoch milliseconds (long);
// dates are days since the epoch (int) — Salesforce's date encoding is
// unconfirmed (reference §4), this is the simulator's choice.
func scalarAvroType(t FieldType) string {
	switch t {
	case TypeBoolean:
		return "boolean"
	case TypeInt, TypeDate:
		return "int"
	case TypeDouble:
		return "double"
	case TypeDateTime:
		return "long"
	}
	return "string"
}
