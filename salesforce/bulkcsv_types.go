package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// valueKind says how a CSV column's text becomes a record value, chosen
// from the field's describe type so that a Bulk record holds the same Go
// values the REST path decodes from JSON.
type valueKind int

const (
	// kindText: a string, as REST sends text, IDs, picklists, dates and
	// times. Like the REST decoder (parseDateTimes), a string of exactly
	// the REST date-time shape becomes time.Time.
	kindText valueKind = iota
	// kindUnknown: a column describe did not type (a polymorphic
	// relationship's field): text, but a date-time in either of
	// Salesforce's forms becomes time.Time.
	kindUnknown
	kindBool     // "true"/"false" → bool
	kindNumber   // int, double, currency, percent, long → json.Number
	kindDateTime // datetime → time.Time in UTC
)

// kindOf maps a describe field type to its kind.
func kindOf(fieldType string) valueKind {
	switch fieldType {
	case "boolean":
		return kindBool
	case "int", "double", "currency", "percent", "long":
		return kindNumber
	case "datetime":
		return kindDateTime
	}
	return kindText
}

// bulkColumn is one column of a results page: where its value goes in the
// record (one step, or relationship steps then a field) and its kind.
type bulkColumn struct {
	header string
	path   []string // canonical names, as REST spells them
	kind   valueKind
}

// relationship is a nested record a column path goes through, e.g. "Owner"
// or "Parent.Owner": what REST puts in its attributes.
type relationship struct {
	path     []string
	object   string // "" when describe cannot say (polymorphic)
	idSource string // the parent's field holding its ID, e.g. OwnerId
}

// bulkSchema is how a page's columns map onto records of one object.
type bulkSchema struct {
	object  string
	version string // e.g. v62.0, for attributes.url
	columns []bulkColumn
	rels    []relationship // deepest last
}

// describer answers a describe of one object.
type describer func(ctx context.Context, object string) (ObjectDescription, error)

// newBulkSchema types header's columns by walking describes from object.
func newBulkSchema(ctx context.Context, object, version string, header []string, describe describer) (*bulkSchema, error) {
	s := &bulkSchema{object: object, version: version}
	seenRel := map[string]bool{}
	for _, h := range header {
		col, rels, err := resolveColumn(ctx, object, h, describe)
		if err != nil {
			return nil, err
		}
		s.columns = append(s.columns, col)
		for _, r := range rels {
			key := strings.Join(r.path, ".")
			if !seenRel[key] {
				seenRel[key] = true
				s.rels = append(s.rels, r)
			}
		}
	}
	return s, nil
}

// resolveColumn follows a header such as "Parent.Owner.Name" through the
// describes: relationship names and the field name take describe's
// spelling, and the field's type gives the kind.
func resolveColumn(ctx context.Context, object, header string, describe describer) (bulkColumn, []relationship, error) {
	steps := strings.Split(header, ".")
	col := bulkColumn{header: header, path: make([]string, len(steps))}
	copy(col.path, steps)
	var rels []relationship
	current := object
	for i, step := range steps {
		if current == "" {
			col.kind = kindUnknown
			continue
		}
		d, err := describe(ctx, current)
		if err != nil {
			return bulkColumn{}, nil, fmt.Errorf("type result column %s: %w", header, err)
		}
		last := i == len(steps)-1
		if last {
			if f, ok := fieldFold(d, step); ok {
				col.path[i], col.kind = f.Name, kindOf(f.Type)
			} else {
				col.kind = kindUnknown
			}
			continue
		}
		rel := relationship{}
		current = ""
		if f, ok := relationshipFold(d, step); ok {
			col.path[i] = f.RelationshipName
			rel.idSource = f.Name
			if len(f.ReferenceTo) == 1 {
				current = f.ReferenceTo[0]
			}
		}
		rel.path = append([]string(nil), col.path[:i+1]...)
		rel.object = current
		rels = append(rels, rel)
	}
	return col, rels, nil
}

func fieldFold(d ObjectDescription, name string) (FieldDescription, bool) {
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return FieldDescription{}, false
}

func relationshipFold(d ObjectDescription, name string) (FieldDescription, bool) {
	for _, f := range d.Fields {
		if f.RelationshipName != "" && strings.EqualFold(f.RelationshipName, name) {
			return f, true
		}
	}
	return FieldDescription{}, false
}

// bulkDateTimeLayouts are the date-time forms a results page may use:
// the REST form (+0000) and the ISO form with Z; RFC 3339 covers the rest.
var bulkDateTimeLayouts = []string{restDateTime, "2006-01-02T15:04:05.000Z07:00", time.RFC3339Nano}

// convert turns one CSV value into a record value. Bulk CSV writes null
// as an empty field, and Salesforce stores no empty strings (an emptied
// text field is null, and REST sends null), so "" is nil for every kind.
func (k valueKind) convert(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	switch k {
	case kindBool:
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("want true or false")
	case kindNumber:
		if !isJSONNumber(s) {
			return nil, fmt.Errorf("want a number")
		}
		return json.Number(s), nil
	case kindDateTime:
		if t, ok := parseBulkDateTime(s); ok {
			return t, nil
		}
		return nil, fmt.Errorf("want a date-time like 2006-01-02T15:04:05.000Z")
	case kindUnknown:
		if t, ok := parseBulkDateTime(s); ok && len(s) >= len("2006-01-02T15:04:05Z") {
			return t, nil
		}
	}
	if t, ok := parseRESTDateTime(s); ok {
		return t, nil
	}
	return s, nil
}

func parseBulkDateTime(s string) (time.Time, bool) {
	for _, layout := range bulkDateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isJSONNumber accepts exactly JSON's number grammar, which is what the
// REST path's json.Number holds.
func isJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil
}
