package salesforce

import (
	"fmt"
	"strings"
)

// PlatformEventTopic is the topic of a platform event: /event/Name__e.
func PlatformEventTopic(name string) string { return "/event/" + name }

// DeclarePlatformEvent defines (or redefines, with a new schema) a platform
// event type and registers its schema. Publishers must use the returned
// schema ID; earlier IDs stay resolvable.
func (o *Org) DeclarePlatformEvent(pe PlatformEvent) (schemaID string, err error) {
	if err := pe.validate(); err != nil {
		return "", fmt.Errorf("declare platform event: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.declarePlatformEventLocked(pe); err != nil {
		return "", err
	}
	return o.current[pe.Name].ID, nil
}

func (o *Org) declarePlatformEventLocked(pe PlatformEvent) error {
	s, err := platformEventSchema(pe)
	if err != nil {
		return fmt.Errorf("declare platform event %s: %w", pe.Name, err)
	}
	o.platformEvents[pe.Name] = pe
	o.registerSchemaLocked(s)
	return nil
}

// platformEventSchema mirrors the real shape (fixtures/schemas/
// platform-event-Case__e…): required CreatedDate and CreatedById with doc
// annotations, then each custom field as ["null", T] with a "Data:<Type>:<id>" doc.
func platformEventSchema(pe PlatformEvent) (*EventSchema, error) {
	rec := avroRecord{Type: "record", Name: pe.Name, Namespace: EventNamespace, Fields: []avroField{
		{Name: FieldCreatedDate, Type: "long", Doc: "CreatedDate:DateTime"},
		{Name: FieldCreatedByID, Type: "string", Doc: "CreatedBy:EntityId"},
	}}
	s := &EventSchema{Entity: pe.Name, position: map[string]int{}}
	for i, f := range pe.Fields {
		s.position[f.Name] = len(rec.Fields)
		s.Body = append(s.Body, Field{Name: f.Name, Type: f.Type, Custom: true})
		doc := fmt.Sprintf("Data:%s:%s", docTypeName(f.Type), newRecordID("00N", uint64(i+1))[:15])
		rec.Fields = append(rec.Fields, avroField{Name: f.Name, Type: []any{"null", scalarAvroType(f.Type)}, Doc: doc, Default: nullDefault})
	}
	return s, s.compile(rec)
}

// docTypeName is the type word of a platform event field's doc annotation.
func docTypeName(t FieldType) string {
	switch t {
	case TypeTextArea:
		return "LongTextArea"
	case TypeBoolean:
		return "Boolean"
	case TypeInt:
		return "Int"
	case TypeDouble:
		return "Double"
	case TypeDate:
		return "DateOnly"
	case TypeDateTime:
		return "DateTime"
	case TypeReference:
		return "EntityId"
	}
	return "Text"
}

// EncodePlatformEvent encodes a platform event payload with the event's
// current schema, as a publisher would, and returns it with the schema ID.
func (o *Org) EncodePlatformEvent(name string, v Values) (payload []byte, schemaID string, err error) {
	o.mu.RLock()
	s, declared := o.current[name]
	o.mu.RUnlock()
	if _, isPE := strings.CutSuffix(name, "__e"); !declared || !isPE {
		return nil, "", fmt.Errorf("encode platform event %s: %w", name, ErrUnknownObject)
	}
	native := map[string]any{FieldCreatedDate: o.clock.Now().UnixMilli(), FieldCreatedByID: o.userID}
	for _, f := range s.Body {
		val, err := normalizeScalar(f.Type, v[f.Name])
		if err != nil {
			return nil, "", fmt.Errorf("encode platform event %s: field %s: %w", name, f.Name, err)
		}
		native[f.Name] = scalarAvroValue(f.Type, val)
	}
	for k := range v {
		if _, ok := s.position[k]; !ok {
			return nil, "", fmt.Errorf("encode platform event %s: %w %q", name, ErrUnknownField, k)
		}
	}
	payload, err = s.codec.BinaryFromNative(nil, native)
	if err != nil {
		return nil, "", fmt.Errorf("encode platform event %s: %w", name, err)
	}
	return payload, s.ID, nil
}

// platformEventNamesLocked lists declared platform events (for channels).
func (o *Org) platformEventNamesLocked() []string {
	names := make([]string, 0, len(o.platformEvents))
	for n := range o.platformEvents {
		names = append(names, n)
	}
	return names
}
