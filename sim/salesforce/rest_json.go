package salesforce

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode"
)

// jsonObject is a JSON object that keeps its keys in insertion order, as
// Salesforce's responses list "attributes" first and then the fields in
// the order they were asked for.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func newJSONObject() *jsonObject { return &jsonObject{vals: map[string]any{}} }

func (j *jsonObject) set(key string, v any) {
	if _, ok := j.vals[key]; !ok {
		j.keys = append(j.keys, key)
	}
	j.vals[key] = v
}

func (j *jsonObject) get(key string) (any, bool) {
	v, ok := j.vals[key]
	return v, ok
}

// MarshalJSON writes the keys in insertion order.
func (j *jsonObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range j.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(j.vals[k]); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// recordAttributes is the "attributes" member of every REST record.
func recordAttributes(version, object, id string) *jsonObject {
	a := newJSONObject()
	a.set("type", object)
	a.set("url", "/services/data/"+version+"/sobjects/"+object+"/"+id)
	return a
}

// restValue renders a stored value as the REST API does: date-times as
// 2006-01-02T15:04:05.000+0000, dates as 2006-01-02, addresses as an
// object with lower-camel-case keys, a person's Name as one string.
func restValue(t FieldType, v any) any {
	if v == nil {
		return nil
	}
	switch t {
	case TypeDate:
		if d, ok := v.(time.Time); ok {
			return d.UTC().Format(time.DateOnly)
		}
	case TypeAddress:
		if c, ok := v.(Values); ok {
			out := map[string]any{}
			for k, val := range c {
				out[lowerFirst(k)] = restScalar(val)
			}
			return out
		}
	case TypeName:
		if c, ok := v.(Values); ok {
			return fullName(c)
		}
	}
	return restScalar(v)
}

// restScalar renders a value whose type is only known from the Go value;
// times are date-times.
func restScalar(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(salesforceDateTime)
	case Values:
		return restValue(TypeAddress, x)
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// fullName joins a person's name components as Salesforce displays them.
func fullName(c Values) string {
	var parts []string
	for _, k := range []string{"Salutation", "FirstName", "MiddleName", "LastName", "Suffix"} {
		if s, _ := c[k].(string); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// renderSelected renders the fields a query selected, relationships as
// nested records with their own attributes (null when the reference is
// empty).
func (o *Org) renderSelected(version string, r Record, paths []fieldPath) *jsonObject {
	out := newJSONObject()
	out.set("attributes", recordAttributes(version, r.Object, r.ID()))
	for _, p := range paths {
		o.renderPath(version, out, r, p, 0)
	}
	return out
}

func (o *Org) renderPath(version string, obj *jsonObject, r Record, p fieldPath, depth int) {
	if depth == len(p.steps) {
		obj.set(p.name, restValue(p.valueType(), terminalValue(r, p)))
		return
	}
	step := p.steps[depth]
	key := step.name
	parent, ok := o.parentRecord(r, step)
	if prior, seen := obj.get(key); seen {
		if child, isObj := prior.(*jsonObject); isObj && ok {
			o.renderPath(version, child, parent, p, depth+1)
		}
		return
	}
	if !ok {
		obj.set(key, nil)
		return
	}
	child := newJSONObject()
	child.set("attributes", recordAttributes(version, parent.Object, parent.ID()))
	obj.set(key, child)
	o.renderPath(version, child, parent, p, depth+1)
}

// restColumn is one field of a full record rendering: an ordinary or
// compound field, or one component under its flat name (BillingCity).
type restColumn struct {
	name  string
	field Field
	comp  *Component
}

// recordColumns lists every field of an object in describe order, each
// compound field's flat components before the compound itself.
func recordColumns(obj Object) []restColumn {
	var cols []restColumn
	for _, f := range obj.Fields {
		for i := range f.Components {
			c := f.Components[i]
			cols = append(cols, restColumn{name: c.FlatName, field: f, comp: &c})
		}
		cols = append(cols, restColumn{name: f.Name, field: f})
	}
	return cols
}

// renderColumns renders a record with the given columns, nulls included.
func renderColumns(version string, r Record, cols []restColumn) *jsonObject {
	out := newJSONObject()
	out.set("attributes", recordAttributes(version, r.Object, r.ID()))
	for _, col := range cols {
		if col.comp != nil {
			c, _ := r.Fields[col.field.Name].(Values)
			out.set(col.name, restValue(col.comp.Type, c[col.comp.Name]))
			continue
		}
		out.set(col.name, restValue(col.field.Type, r.Fields[col.field.Name]))
	}
	return out
}
