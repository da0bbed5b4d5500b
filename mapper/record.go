package mapper

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Record is one Salesforce record, from a change event or a REST fetch.
//
// Field values may be string, bool, int64 (and the other integer kinds),
// float64, json.Number, time.Time, a nested map[string]any (compound fields
// and relationships as REST returns them, e.g. {"Parent": {"CaseNumber": …}})
// or nil. A relationship field is found either under its flattened name
// ("Parent.CaseNumber") or by walking the nested maps.
type Record struct {
	// Object is the Salesforce API name, e.g. EmailMessage.
	Object string
	// ID is the record ID (from the change event's recordIds or REST Id).
	ID string
	// Fields holds the field values by API name.
	Fields map[string]any
	// Deleted marks a deleted record; its fields are not read.
	Deleted bool
}

// lookup returns the value of a field or path, or nil.
func (r Record) lookup(path string) any {
	if v, ok := r.Fields[path]; ok {
		return v
	}
	if path == "Id" && r.ID != "" {
		return r.ID
	}
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		return nil
	}
	var cur any = r.Fields[head]
	for cur != nil {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		head, rest, nested = strings.Cut(rest, ".")
		if !nested {
			return m[head]
		}
		cur = m[head]
	}
	return nil
}

// text returns a field's value as text, "" when absent or empty.
func (r Record) text(path string) string {
	return valueText(r.lookup(path))
}

// valueText renders a scalar deterministically. Maps and unknown types
// render as "" so that a nested record never leaks into text by accident.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return formatNumber(x)
	case float32:
		return formatNumber(float64(x))
	case json.Number:
		return x.String()
	case time.Time:
		return formatTime(x)
	}
	return ""
}

// valueNumber returns the value as a finite number, if it is one.
func valueNumber(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case int:
		f = float64(x)
	case int32:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	case json.Number:
		g, err := x.Float64()
		if err != nil {
			return 0, false
		}
		f = g
	case string:
		g, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = g
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// isNumeric says whether a value is of a numeric type (a string holding
// digits is not: it stays a string property unless forced).
func isNumeric(v any) bool {
	switch v.(type) {
	case int64, int, int32, float64, float32, json.Number:
		return true
	}
	return false
}

// valueTime interprets a value as an instant: time.Time, epoch milliseconds
// (how change events carry datetimes), RFC 3339, Salesforce REST's
// "2006-01-02T15:04:05.000+0000", or a date.
func valueTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), !x.IsZero()
	case int64:
		return time.UnixMilli(x).UTC(), true
	case int:
		return time.UnixMilli(int64(x)).UTC(), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
			return time.Time{}, false
		}
		return time.UnixMilli(int64(x)).UTC(), true
	case json.Number:
		ms, err := x.Int64()
		return time.UnixMilli(ms).UTC(), err == nil
	case string:
		return parseTimeText(strings.TrimSpace(x))
	}
	return time.Time{}, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.000Z0700",
	"2006-01-02",
}

func parseTimeText(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime is the one time format the mapper emits: UTC, milliseconds
// (Salesforce's precision), "Z". A fixed width keeps output byte-stable.
func formatTime(t time.Time) string {
	return string(appendTimeText(nil, t))
}

// formatNumber renders a float the way encoding/json does, so the text form
// and the JSON form of a number agree.
func formatNumber(f float64) string {
	return string(appendNumber(nil, f))
}

func appendNumber(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Like encoding/json: 1e-07 becomes 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
