package salesforce

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldType is a Salesforce field type as the simulator models it.
type FieldType string

// Field types. Address and Name are compound: their value is a Values map of
// components, and change events carry them as nested Avro records.
const (
	TypeID        FieldType = "id"
	TypeReference FieldType = "reference"
	TypeString    FieldType = "string"
	TypeTextArea  FieldType = "textarea"
	TypeEmail     FieldType = "email"
	TypePicklist  FieldType = "picklist"
	TypeBoolean   FieldType = "boolean"
	TypeInt       FieldType = "int"
	TypeDouble    FieldType = "double"
	TypeDate      FieldType = "date"
	TypeDateTime  FieldType = "datetime"
	TypeAddress   FieldType = "address"
	TypeName      FieldType = "name"
)

// Audit and system fields every object has.
const (
	FieldID               = "Id"
	FieldIsDeleted        = "IsDeleted"
	FieldCreatedDate      = "CreatedDate"
	FieldCreatedByID      = "CreatedById"
	FieldLastModifiedDate = "LastModifiedDate"
	FieldLastModifiedByID = "LastModifiedById"
	FieldSystemModstamp   = "SystemModstamp"
	FieldOwnerID          = "OwnerId"
)

// Errors of catalogue lookups and changes.
var (
	ErrUnknownObject = errors.New("unknown object")
	ErrUnknownField  = errors.New("unknown field")
)

// IsCompound reports whether values of the type are component maps.
func (t FieldType) IsCompound() bool { return t == TypeAddress || t == TypeName }

// IsText reports whether values of the type are Go strings.
func (t FieldType) IsText() bool {
	switch t {
	case TypeID, TypeReference, TypeString, TypeTextArea, TypeEmail, TypePicklist:
		return true
	}
	return false
}

func (t FieldType) valid() bool {
	switch t {
	case TypeBoolean, TypeInt, TypeDouble, TypeDate, TypeDateTime:
		return true
	}
	return t.IsText() || t.IsCompound()
}

// Component is one part of a compound field. FlatName is the ordinary field
// that holds the same value in the record (BillingCity for BillingAddress.City,
// FirstName for Name.FirstName); DML accepts either form.
type Component struct {
	Name     string
	Type     FieldType
	FlatName string
}

// Field is one field of an object.
type Field struct {
	Name        string
	Type        FieldType
	ReferenceTo []string    // object names a reference may point to (empty: any)
	Components  []Component // compound fields only
	ReadOnly    bool        // set by the org (Id, audit fields, auto-numbers, derived fields)
	Custom      bool        // API name ends in __c
}

// InChangeEvent reports whether the field appears in change events: the
// record ID travels in the header, and IsDeleted and SystemModstamp are
// never sent (reference §3.4).
func (f Field) InChangeEvent() bool {
	switch f.Name {
	case FieldID, FieldIsDeleted, FieldSystemModstamp:
		return false
	}
	return true
}

// Object is one sObject type of the org.
type Object struct {
	Name      string // API name: "Case", "Invoice__c"
	KeyPrefix string // first three characters of its record IDs
	Custom    bool
	// HasChangeEvent: the org offers a change event for the object (all
	// custom objects, most standard ones).
	HasChangeEvent bool
	// CDCSelected: selected for Change Data Capture, so its events go to its
	// own channel and /data/ChangeEvents. Objects in a custom channel produce
	// events for that channel even when not selected.
	CDCSelected bool
	Fields      []Field
}

// Field returns the named field.
func (o *Object) Field(name string) (Field, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// ChangeEventName is the name of the object's change event:
// CaseChangeEvent, or Invoice__ChangeEvent for Invoice__c.
func (o *Object) ChangeEventName() string {
	if base, ok := strings.CutSuffix(o.Name, "__c"); ok {
		return base + "__ChangeEvent"
	}
	return o.Name + "ChangeEvent"
}

// ChangeEventChannel is the object's own CDC topic, e.g. /data/CaseChangeEvent.
func (o *Object) ChangeEventChannel() string { return "/data/" + o.ChangeEventName() }

func (o *Object) clone() *Object {
	c := *o
	c.Fields = make([]Field, len(o.Fields))
	for i, f := range o.Fields {
		f.ReferenceTo = slices.Clone(f.ReferenceTo)
		f.Components = slices.Clone(f.Components)
		c.Fields[i] = f
	}
	return &c
}

// catalog holds the org's objects. It is not safe for concurrent use; the
// Org guards it.
type catalog struct {
	objects  map[string]*Object
	order    []string
	byPrefix map[string]*Object
}

func newCatalog() *catalog {
	return &catalog{objects: map[string]*Object{}, byPrefix: map[string]*Object{}}
}

func (c *catalog) add(o *Object) error {
	if _, dup := c.objects[o.Name]; dup {
		return fmt.Errorf("add object %s: already declared", o.Name)
	}
	if other, dup := c.byPrefix[o.KeyPrefix]; dup {
		return fmt.Errorf("add object %s: key prefix %s is taken by %s", o.Name, o.KeyPrefix, other.Name)
	}
	c.objects[o.Name] = o
	c.byPrefix[o.KeyPrefix] = o
	c.order = append(c.order, o.Name)
	return nil
}

func (c *catalog) object(name string) (*Object, error) {
	o, ok := c.objects[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownObject, name)
	}
	return o, nil
}

// objectOfID finds the object whose key prefix starts id.
func (c *catalog) objectOfID(id string) (*Object, error) {
	o, ok := c.byPrefix[KeyPrefix(id)]
	if !ok {
		return nil, fmt.Errorf("%w: no object has key prefix %q (record %s)", ErrUnknownObject, KeyPrefix(id), id)
	}
	return o, nil
}

// addField appends a custom field, as Salesforce appends new fields to the
// end of the change event schema.
func (c *catalog) addField(object string, spec FieldSpec) error {
	o, err := c.object(object)
	if err != nil {
		return fmt.Errorf("add field %s.%s: %w", object, spec.Name, err)
	}
	if err := spec.validate(); err != nil {
		return fmt.Errorf("add field %s.%s: %w", object, spec.Name, err)
	}
	if _, dup := o.Field(spec.Name); dup {
		return fmt.Errorf("add field %s.%s: already exists", object, spec.Name)
	}
	o.Fields = append(o.Fields, Field{Name: spec.Name, Type: spec.Type, ReferenceTo: slices.Clone(spec.ReferenceTo), Custom: true})
	return nil
}
