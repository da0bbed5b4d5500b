package salesforce

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// soqlDateTimeLayouts are the date-time literal forms SOQL accepts.
var soqlDateTimeLayouts = []string{
	"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z",
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000Z07:00",
	"2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700",
}

// soqlTypeNames are the type names Salesforce uses in filter errors.
var soqlTypeNames = map[FieldType]string{
	TypeDateTime: "dateTime", TypeDate: "date", TypeBoolean: "boolean", TypeInt: "int", TypeDouble: "double",
}

// literalValue converts a literal to the comparable form of the path's
// field type, rejecting literals of the wrong kind the way SOQL does.
func literalValue(src string, p fieldPath, lit soqlToken) (any, error) {
	t := p.valueType()
	if lit.is("NULL") {
		return nil, nil
	}
	wrong := func() error {
		name := soqlTypeNames[t]
		if name == "" {
			name = "string"
		}
		quote := "should not be enclosed in quotes"
		if name == "string" {
			quote = "should be enclosed in quotes"
		}
		return invalidField(src, lit.pos, "value of filter criterion for field '"+p.name+"' must be of type "+name+" and "+quote)
	}
	switch {
	case lit.is("TRUE"), lit.is("FALSE"):
		if t != "" && t != TypeBoolean {
			return nil, wrong()
		}
		return lit.is("TRUE"), nil
	case lit.kind == tokString:
		return stringLiteral(src, p, t, lit, wrong)
	case lit.kind == tokNumber:
		n, err := strconv.ParseFloat(lit.text, 64)
		if err != nil {
			return nil, malformedQuery(src, lit.pos, "unexpected token: "+lit.text)
		}
		if t != "" && t != TypeInt && t != TypeDouble {
			return nil, wrong()
		}
		return n, nil
	case lit.kind == tokDate:
		d, err := time.Parse(time.DateOnly, lit.text)
		if err != nil || (t != "" && t != TypeDate) {
			return nil, wrong()
		}
		return d, nil
	case lit.kind == tokDateTime:
		if t != "" && t != TypeDateTime {
			return nil, wrong()
		}
		return parseSOQLDateTime(src, lit)
	}
	return nil, malformedQuery(src, lit.pos, "unexpected token: "+lit.text)
}

func stringLiteral(src string, p fieldPath, t FieldType, lit soqlToken, wrong func() error) (any, error) {
	switch {
	case t == TypeID || t == TypeReference:
		id, err := To18(lit.text)
		if err != nil {
			return nil, &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", message: queryErrorMessage(src, lit.pos, "invalid ID field: "+lit.text)}
		}
		return id, nil
	case t == "" || t.IsText():
		return lit.text, nil
	}
	return nil, wrong()
}

func parseSOQLDateTime(src string, lit soqlToken) (any, error) {
	for _, layout := range soqlDateTimeLayouts {
		if tm, err := time.Parse(layout, lit.text); err == nil {
			return tm.UTC(), nil
		}
	}
	return nil, malformedQuery(src, lit.pos, "line 1:"+strconv.Itoa(lit.pos)+" no viable alternative at character '"+lit.text+"'")
}

// compareValues orders two non-null stored values of one field: text
// ignores case (as SOQL comparisons do), IDs compare exactly.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		if looksLikeID(x) && looksLikeID(y) {
			return strings.Compare(x, y)
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case bool:
		y, _ := b.(bool)
		return cmp.Compare(boolRank(x), boolRank(y))
	}
	fx, okx := asFloat(a)
	fy, oky := asFloat(b)
	if okx && oky {
		return cmp.Compare(fx, fy)
	}
	return strings.Compare(valueString(a), valueString(b))
}

// looksLikeID reports whether both sides can be compared as record IDs:
// 18 characters whose checksum is right.
func looksLikeID(s string) bool { return len(s) == 18 && ValidateRecordID(s) == nil }

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.Format(salesforceDateTime)
	case nil:
		return ""
	}
	b, _ := restScalar(v).(string)
	return b
}

// likeMatch implements SOQL LIKE: % any run, _ one character, backslash
// escapes, case-insensitive. It backtracks only to the last %, so it runs
// in time proportional to len(pattern)·len(s) whatever the pattern.
func likeMatch(pattern, s string) bool {
	p, t := likePattern(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi].anyRun:
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi].anyOne || p[pi].r == t[ti]):
			pi, ti = pi+1, ti+1
		case star >= 0:
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].anyRun {
		pi++
	}
	return pi == len(p)
}

// likeItem is one element of a LIKE pattern.
type likeItem struct {
	r      rune
	anyRun bool // %
	anyOne bool // _
}

func likePattern(pattern string) []likeItem {
	var out []likeItem
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '\\' && i+1 < len(rs):
			i++
			out = append(out, likeItem{r: rs[i]})
		case rs[i] == '%':
			out = append(out, likeItem{anyRun: true})
		case rs[i] == '_':
			out = append(out, likeItem{anyOne: true})
		default:
			out = append(out, likeItem{r: rs[i]})
		}
	}
	return out
}
