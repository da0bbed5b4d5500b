package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Record is one REST record, decoded as Salesforce sent it: field values
// are string, bool, json.Number, nil, time.Time for date-times, a nested
// map[string]any for relationship fields (with their own "attributes", e.g.
// "Parent": {"attributes": {…}, "CaseNumber": "00001001"}) and compound
// fields. "attributes" holds the record's type and URL.
type Record map[string]any

// Type is the record's object, from attributes.type.
func (r Record) Type() string {
	attrs, _ := r["attributes"].(map[string]any)
	t, _ := attrs["type"].(string)
	return t
}

// ID is the record's Id field.
func (r Record) ID() string { id, _ := r["Id"].(string); return id }

// restDateTime is the REST API's date-time form; a string of exactly this
// shape decodes as time.Time. Dates (2006-01-02) stay strings: REST JSON
// does not say which strings are dates, and a date has no time zone.
const restDateTime = "2006-01-02T15:04:05.000-0700"

// decodeJSON decodes r into v with numbers kept exact (json.Number).
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// decodeRecords converts each record's date-time strings, in place.
func decodeRecords(raw []map[string]any) []Record {
	out := make([]Record, len(raw))
	for i, m := range raw {
		if m != nil {
			parseDateTimes(m, 0)
			out[i] = Record(m)
		}
	}
	return out
}

// maxNesting bounds how deep parseDateTimes walks nested records.
const maxNesting = 32

// parseDateTimes replaces date-time strings with time.Time in a record
// and its nested records and subquery results, leaving attributes alone.
func parseDateTimes(m map[string]any, depth int) {
	if depth > maxNesting {
		return
	}
	for k, v := range m {
		if k == "attributes" {
			continue
		}
		switch x := v.(type) {
		case string:
			if t, ok := parseRESTDateTime(x); ok {
				m[k] = t
			}
		case map[string]any:
			parseDateTimes(x, depth+1)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					parseDateTimes(em, depth+1)
				}
			}
		}
	}
}

// parseRESTDateTime accepts exactly 2006-01-02T15:04:05.000+0000.
func parseRESTDateTime(s string) (time.Time, bool) {
	if len(s) != len(restDateTime) || s[10] != 'T' || s[19] != '.' {
		return time.Time{}, false
	}
	t, err := time.Parse(restDateTime, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// jsonBody marshals a request body.
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
