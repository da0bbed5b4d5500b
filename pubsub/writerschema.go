package pubsub

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linkedin/goavro/v2"
)

const changeEventHeaderField = "ChangeEventHeader"

// WriterSchema is one compiled writer schema: the goavro codec plus what
// decoding and bitmap expansion need, computed once so that no event pays
// for schema parsing. It is immutable and safe for concurrent use.
type WriterSchema struct {
	id     string
	name   string // full record name, e.g. com.sforce.eventbus.AccountChangeEvent
	codec  *goavro.Codec
	root   *recordPlan
	fast   *fastType   // the direct decoder; nil: goavro only (fastdecode.go)
	header *recordPlan // nil unless field 0 is the ChangeEventHeader record
	fields fieldTable
}

// CompileSchema compiles the Avro schema JSON of schema ID id. The schema
// must be a record; a CDC schema is recognised by a record field
// ChangeEventHeader at position 0. Errors wrap ErrInvalidSchema.
func CompileSchema(id, schemaJSON string) (*WriterSchema, error) {
	codec, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("compile schema %q: %w: %w", id, ErrInvalidSchema, err)
	}
	var parsed any
	if err := json.Unmarshal([]byte(schemaJSON), &parsed); err != nil {
		return nil, fmt.Errorf("compile schema %q: %w: %w", id, ErrInvalidSchema, err)
	}
	compiler := schemaCompiler{named: make(map[string]*valuePlan)}
	top, err := compiler.compile(parsed, "", false)
	if err != nil {
		return nil, fmt.Errorf("compile schema %q: %w: %w", id, ErrInvalidSchema, err)
	}
	if top.kind != recordValue {
		return nil, fmt.Errorf("compile schema %q: %w: top level is not a record", id, ErrInvalidSchema)
	}
	s := &WriterSchema{id: id, name: top.record.name, codec: codec, root: top.record, fast: compileFast(parsed)}
	s.fields, s.header = newFieldTable(top.record)
	return s, nil
}

// ID returns the schema ID the schema was compiled for.
func (s *WriterSchema) ID() string { return s.id }

// Name returns the full name of the schema's record.
func (s *WriterSchema) Name() string { return s.name }

// IsChangeEvent reports whether the schema is a CDC schema (it has a
// ChangeEventHeader) rather than a platform event's.
func (s *WriterSchema) IsChangeEvent() bool { return s.header != nil }

// newFieldTable precomputes the bitmap names of root and finds its header.
func newFieldTable(root *recordPlan) (fieldTable, *recordPlan) {
	t := fieldTable{
		names:      make([]string, len(root.fields)),
		components: make([][]string, len(root.fields)),
	}
	var header *recordPlan
	for i, f := range root.fields {
		t.names[i] = f.name
		compound := compoundRecord(f.plan)
		if compound == nil {
			continue
		}
		if i == 0 && f.name == changeEventHeaderField {
			header, t.headerAtZero = compound, true
			continue // the header is no compound field a bitmap can name
		}
		t.components[i] = make([]string, len(compound.fields))
		for j, component := range compound.fields {
			t.components[i][j] = f.name + "." + component.name
		}
	}
	return t, header
}

// compoundRecord returns the record of a compound field: the field's type
// itself, or the only record branch of its union (["null",R], ["string",R],
// ["null","string",R]). It returns nil for any other type.
func compoundRecord(p *valuePlan) *recordPlan {
	switch p.kind {
	case recordValue:
		return p.record
	case unionValue:
		var found *recordPlan
		for _, b := range p.branches {
			if b.plan.kind != recordValue {
				continue
			}
			if found != nil {
				return nil // two records: a bitmap entry could mean either
			}
			found = b.plan.record
		}
		return found
	}
	return nil
}

// isDateTimeField decides whether a field of type long holds a date-time
// (epoch milliseconds). The schema's doc wins when it names a type:
// Salesforce writes "<Field>:<Type>[:<id>]", e.g. "CreatedDate:DateTime" or
// "Data:Double:00N…"; the types DateTime and Date are date-times, any other
// named type is not. Without such a doc (CDC schemas may carry none) the name
// decides: with a custom "__c" suffix removed, it ends in "Date" (CreatedDate,
// LastModifiedDate, MessageDate, ActivityDate, Renewal_Date__c) or
// "DateTime" (Task.CompletedDateTime), or it is SystemModstamp.
func isDateTimeField(name, doc string) bool {
	if docType, ok := typeInDoc(doc); ok {
		return docType == "DateTime" || docType == "Date"
	}
	base := strings.TrimSuffix(name, "__c")
	return strings.HasSuffix(base, "Date") || strings.HasSuffix(base, "DateTime") || base == "SystemModstamp"
}

// typeInDoc returns the second colon-separated part of a Salesforce doc.
func typeInDoc(doc string) (string, bool) {
	_, rest, ok := strings.Cut(doc, ":")
	if !ok {
		return "", false
	}
	docType, _, _ := strings.Cut(rest, ":")
	return docType, docType != ""
}

var avroPrimitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

// schemaCompiler turns parsed schema JSON into value plans, resolving named
// types the way Avro does (full name, or enclosing namespace + name).
type schemaCompiler struct {
	named map[string]*valuePlan
}

// compile returns the plan of one schema; dateTime says the enclosing field
// is a date-time, which turns a long into epochMillis.
func (c *schemaCompiler) compile(schema any, namespace string, dateTime bool) (*valuePlan, error) {
	switch s := schema.(type) {
	case string:
		return c.compileName(s, namespace, dateTime)
	case []any:
		return c.compileUnion(s, namespace, dateTime)
	case map[string]any:
		return c.compileObject(s, namespace, dateTime)
	}
	return nil, fmt.Errorf("compile type: unexpected JSON %T", schema)
}

func (c *schemaCompiler) compileName(name, namespace string, dateTime bool) (*valuePlan, error) {
	if avroPrimitives[name] {
		if name == "long" && dateTime {
			return epochMillisPlan, nil
		}
		return keepPlan, nil
	}
	if plan, ok := c.named[c.resolve(name, namespace)]; ok {
		return plan, nil
	}
	if plan, ok := c.named[name]; ok {
		return plan, nil
	}
	return nil, fmt.Errorf("compile type: unknown type name %q", name)
}

func (c *schemaCompiler) compileUnion(members []any, namespace string, dateTime bool) (*valuePlan, error) {
	union := &valuePlan{kind: unionValue}
	for _, member := range members {
		if member == "null" {
			continue
		}
		plan, err := c.compile(member, namespace, dateTime)
		if err != nil {
			return nil, err
		}
		union.branches = append(union.branches, unionBranch{name: c.branchName(member, namespace), plan: plan})
	}
	return union, nil
}

func (c *schemaCompiler) compileObject(s map[string]any, namespace string, dateTime bool) (*valuePlan, error) {
	typeName, ok := s["type"].(string)
	if !ok {
		return c.compile(s["type"], namespace, dateTime)
	}
	switch typeName {
	case "record", "error":
		return c.compileRecord(s, namespace)
	case "enum", "fixed":
		full, _ := fullName(s, namespace)
		c.named[full] = keepPlan
		return keepPlan, nil
	case "array":
		return c.compileContainer(arrayValue, s["items"], namespace)
	case "map":
		return c.compileContainer(mapValue, s["values"], namespace)
	}
	if logical, _ := s["logicalType"].(string); strings.HasPrefix(logical, "timestamp-") {
		return epochMillisPlan, nil // goavro returns time.Time; normalise makes it UTC
	}
	return c.compileName(typeName, namespace, dateTime)
}

func (c *schemaCompiler) compileContainer(kind planKind, elemSchema any, namespace string) (*valuePlan, error) {
	elem, err := c.compile(elemSchema, namespace, false)
	if err != nil {
		return nil, err
	}
	if elem == keepPlan {
		return keepPlan, nil
	}
	return &valuePlan{kind: kind, elem: elem}, nil
}

func (c *schemaCompiler) compileRecord(s map[string]any, enclosing string) (*valuePlan, error) {
	full, namespace := fullName(s, enclosing)
	record := &recordPlan{name: full}
	plan := &valuePlan{kind: recordValue, record: record}
	c.named[full] = plan // registered first: a field may refer to its own record
	fields, _ := s["fields"].([]any)
	for i, raw := range fields {
		field, _ := raw.(map[string]any)
		name, _ := field["name"].(string)
		if name == "" {
			return nil, fmt.Errorf("compile record %s: field %d has no name", full, i)
		}
		doc, _ := field["doc"].(string)
		fieldType, err := c.compile(field["type"], namespace, isDateTimeField(name, doc))
		if err != nil {
			return nil, fmt.Errorf("compile record %s field %s: %w", full, name, err)
		}
		f := fieldPlan{name: name, plan: fieldType}
		record.fields = append(record.fields, f)
		if fieldType.kind != keepValue {
			record.work = append(record.work, f)
		}
	}
	return plan, nil
}

// branchName is goavro's wrapper key for a union member: the full name of a
// named type, else the type's own name.
func (c *schemaCompiler) branchName(member any, namespace string) string {
	switch m := member.(type) {
	case string:
		if avroPrimitives[m] {
			return m
		}
		return c.resolve(m, namespace)
	case map[string]any:
		typeName, _ := m["type"].(string)
		switch typeName {
		case "record", "error", "enum", "fixed":
			full, _ := fullName(m, namespace)
			return full
		}
		return typeName
	}
	return ""
}

func (c *schemaCompiler) resolve(name, namespace string) string {
	if strings.Contains(name, ".") || namespace == "" {
		return name
	}
	return namespace + "." + name
}

// fullName returns a named type's full name and the namespace its own
// members inherit.
func fullName(s map[string]any, enclosing string) (full, namespace string) {
	name, _ := s["name"].(string)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name, name[:i]
	}
	namespace = enclosing
	if ns, ok := s["namespace"].(string); ok {
		namespace = ns
	}
	if namespace == "" {
		return name, ""
	}
	return namespace + "." + name, namespace
}
