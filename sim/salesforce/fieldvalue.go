package salesforce

import (
	"fmt"
	"maps"
	"math"
	"time"
)

// Values holds field values by API name; a missing key or nil is null.
//
// Stored types: string for id, reference and text types (an empty string is
// stored as null, as Salesforce does); bool; int64 for int; float64 for
// double; time.Time in UTC for date (midnight) and datetime (millisecond
// precision); Values of components for compound fields.
type Values map[string]any

// clone copies v deeply enough that compound values are not shared.
func (v Values) clone() Values {
	if v == nil {
		return nil
	}
	out := make(Values, len(v))
	for k, val := range v {
		if c, ok := val.(Values); ok {
			val = maps.Clone(c)
		}
		out[k] = val
	}
	return out
}

// normalizeScalar converts a caller's value to the stored type of t.
// Accepted inputs: the stored types, any Go integer for int and double,
// integral float64 for int (JSON numbers), and Salesforce's string forms
// for date ("2006-01-02") and datetime (RFC 3339 or "2006-01-02T15:04:05.000-0700").
func normalizeScalar(t FieldType, v any) (any, error) {
	if v == nil {
		if t == TypeBoolean {
			return false, nil // checkboxes are never null in Salesforce
		}
		return nil, nil
	}
	switch {
	case t.IsText():
		return normalizeText(t, v)
	case t == TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case t == TypeInt:
		return normalizeInt(v)
	case t == TypeDouble:
		return normalizeDouble(v)
	case t == TypeDate:
		return normalizeDate(v)
	case t == TypeDateTime:
		return normalizeDateTime(v)
	}
	return nil, fmt.Errorf("want a %s value, got %T", t, v)
}

func normalizeText(t FieldType, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want a string, got %T", v)
	}
	if s == "" {
		return nil, nil
	}
	if t == TypeID || t == TypeReference {
		id, err := To18(s)
		if err != nil {
			return nil, err
		}
		return id, nil
	}
	return s, nil
}

func normalizeInt(v any) (any, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return nil, fmt.Errorf("want a whole number within 32 bits, got %v", x)
		}
		n = int64(x)
	default:
		return nil, fmt.Errorf("want an integer, got %T", v)
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%d does not fit a 32-bit int field", n)
	}
	return n, nil
}

func normalizeDouble(v any) (any, error) {
	switch n := v.(type) {
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("want a finite number, got %v", n)
		}
		return n, nil
	case float32:
		return normalizeDouble(float64(n))
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	}
	return nil, fmt.Errorf("want a number, got %T", v)
}

func normalizeDate(v any) (any, error) {
	switch d := v.(type) {
	case time.Time:
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), nil
	case string:
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return nil, fmt.Errorf("want a date like 2006-01-02, got %q", d)
		}
		return t, nil
	}
	return nil, fmt.Errorf("want a date, got %T", v)
}

// salesforceDateTime is the REST API's datetime format.
const salesforceDateTime = "2006-01-02T15:04:05.000-0700"

func normalizeDateTime(v any) (any, error) {
	switch d := v.(type) {
	case time.Time:
		return d.UTC().Truncate(time.Millisecond), nil
	case string:
		for _, layout := range []string{salesforceDateTime, time.RFC3339Nano} {
			if t, err := time.Parse(layout, d); err == nil {
				return t.UTC().Truncate(time.Millisecond), nil
			}
		}
		return nil, fmt.Errorf("want a datetime like 2006-01-02T15:04:05.000+0000, got %q", d)
	}
	return nil, fmt.Errorf("want a datetime, got %T", v)
}

// sameValue compares two stored values.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case Values:
		y, ok := b.(Values)
		if !ok {
			return len(x) == 0 && b == nil
		}
		return maps.EqualFunc(withoutNulls(x), withoutNulls(y), sameValue)
	case nil:
		if y, ok := b.(Values); ok {
			return len(withoutNulls(y)) == 0
		}
		return b == nil
	}
	return a == b
}

// withoutNulls drops null components so a compound with no values equals null.
func withoutNulls(v Values) Values {
	out := Values{}
	for k, val := range v {
		if val != nil {
			out[k] = val
		}
	}
	return out
}
