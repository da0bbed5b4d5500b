package backfill

import (
	"slices"
	"strings"
	"time"
)

// Fields every backfill query selects besides the mapping's.
const (
	fieldID             = "Id"
	fieldSystemModstamp = "SystemModstamp"
	fieldIsDeleted      = "IsDeleted"
)

// bounds restrict a query: rows with SystemModstamp ≥ from (when set) and
// ≤ until (when set).
type bounds struct {
	from, until time.Time
}

// selectSOQL reads an object's rows within b in backfill order. The
// object and field names were checked by the mapping's Validate, so they
// are safe to place in the statement.
func selectSOQL(object string, fields []string, b bounds) string {
	var q strings.Builder
	q.WriteString("SELECT ")
	q.WriteString(strings.Join(selectList(fields), ", "))
	q.WriteString(" FROM ")
	q.WriteString(object)
	writeWhere(&q, b.clauses())
	q.WriteString(" ORDER BY SystemModstamp, Id")
	return q.String()
}

// countSOQL counts the rows within b that come after pos.
func countSOQL(object string, b bounds, after Position) string {
	var q strings.Builder
	q.WriteString("SELECT COUNT() FROM ")
	q.WriteString(object)
	clauses := b.clauses()
	if c := afterClause(after); c != "" {
		clauses = append(clauses, c)
	}
	writeWhere(&q, clauses)
	return q.String()
}

// selectList is Id, SystemModstamp, IsDeleted and fields, each once
// (SOQL refuses a field selected twice, in any letter case).
func selectList(fields []string) []string {
	out := []string{fieldID, fieldSystemModstamp, fieldIsDeleted}
	for _, f := range fields {
		if !slices.ContainsFunc(out, func(have string) bool { return strings.EqualFold(have, f) }) {
			out = append(out, f)
		}
	}
	return out
}

func (b bounds) clauses() []string {
	var out []string
	if !b.from.IsZero() {
		out = append(out, "SystemModstamp >= "+soqlTime(b.from))
	}
	if !b.until.IsZero() {
		out = append(out, "SystemModstamp <= "+soqlTime(b.until))
	}
	return out
}

// afterClause matches rows after p in (SystemModstamp, Id) order. p.ID
// was checked to be a Salesforce ID, so quoting it is safe.
func afterClause(p Position) string {
	switch {
	case p.IsZero():
		return ""
	case p.ID == "":
		return "SystemModstamp >= " + soqlTime(p.Modstamp)
	}
	stamp := soqlTime(p.Modstamp)
	return "(SystemModstamp > " + stamp + " OR (SystemModstamp = " + stamp + " AND Id > '" + p.ID + "'))"
}

func writeWhere(q *strings.Builder, clauses []string) {
	if len(clauses) == 0 {
		return
	}
	q.WriteString(" WHERE ")
	q.WriteString(strings.Join(clauses, " AND "))
}

// soqlTime is a SOQL date-time literal in UTC with milliseconds,
// Salesforce's precision.
func soqlTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}
