package salesforce

import (
	"slices"
	"strings"
)

// runQuery returns the rows of a bound query in result order: the object's
// records (soft-deleted ones only for queryAll) that match WHERE, sorted,
// then OFFSET and LIMIT applied. Rows without ORDER BY come in creation
// order.
func (o *Org) runQuery(b *boundQuery, includeDeleted bool) []Record {
	var rows []Record
	for _, r := range o.sharedRecords(b.object.Name) {
		if r.IsDeleted() && !includeDeleted {
			continue
		}
		if b.where == nil || o.matches(b.where, r) {
			rows = append(rows, r)
		}
	}
	if len(b.orderBy) > 0 {
		slices.SortStableFunc(rows, func(x, y Record) int { return o.compareRows(b.orderBy, x, y) })
	}
	rows = rows[min(b.q.offset, len(rows)):]
	if b.q.limit >= 0 && len(rows) > b.q.limit {
		rows = rows[:b.q.limit]
	}
	return rows
}

func (o *Org) compareRows(order []boundOrder, x, y Record) int {
	for _, ord := range order {
		a, b := o.pathValue(x, ord.path), o.pathValue(y, ord.path)
		var c int
		switch {
		case a == nil && b == nil:
			c = 0
		case a == nil || b == nil:
			c = 1
			if (a == nil) == ord.nullsFirst {
				c = -1
			}
		default:
			c = compareValues(a, b)
			if ord.desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (o *Org) matches(e boundExpr, r Record) bool {
	switch x := e.(type) {
	case boundAnd:
		for _, t := range x {
			if !o.matches(t, r) {
				return false
			}
		}
		return true
	case boundOr:
		for _, t := range x {
			if o.matches(t, r) {
				return true
			}
		}
		return false
	case boundNot:
		return !o.matches(x.term, r)
	case boundCompare:
		return compareOp(x.op, o.pathValue(r, x.path), x.value)
	case boundIn:
		v := o.pathValue(r, x.path)
		in := slices.ContainsFunc(x.values, func(want any) bool { return compareOp("=", v, want) })
		return in != x.not
	}
	return false
}

// compareOp applies a SOQL operator to a stored value and a literal. As in
// SOQL, `!=` matches null values and ordering operators never do.
func compareOp(op string, v, lit any) bool {
	switch op {
	case "=":
		if v == nil || lit == nil {
			return v == nil && lit == nil
		}
		return compareValues(v, lit) == 0
	case "!=":
		return !compareOp("=", v, lit)
	case "LIKE":
		s, ok := v.(string)
		pattern, _ := lit.(string)
		return ok && likeMatch(pattern, s)
	}
	if v == nil || lit == nil {
		return false
	}
	c := compareValues(v, lit)
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// pathValue is the stored value a field path yields for a record, nil when
// a relationship along the way is empty or points to nothing.
func (o *Org) pathValue(r Record, p fieldPath) any {
	cur, ok := o.followPath(r, p.steps)
	if !ok {
		return nil
	}
	return terminalValue(cur, p)
}

// followPath walks the relationships of a path from r to the record whose
// field it names.
func (o *Org) followPath(r Record, steps []relationshipStep) (Record, bool) {
	cur := r
	for _, s := range steps {
		parent, ok := o.parentRecord(cur, s)
		if !ok {
			return Record{}, false
		}
		cur = parent
	}
	return cur, true
}

// parentRecord follows one relationship. Steps of a polymorphic path know
// only the relationship name; the reference field is found on the record's
// own object.
func (o *Org) parentRecord(r Record, s relationshipStep) (Record, bool) {
	ref := s.refField
	if ref == "" {
		obj, ok := o.Object(r.Object)
		if !ok {
			return Record{}, false
		}
		f, ok := findRelationship(obj, s.name)
		if !ok {
			return Record{}, false
		}
		ref = f.Name
	}
	id, _ := r.Fields[ref].(string)
	if id == "" {
		return Record{}, false
	}
	return o.Get(id)
}

// terminalValue reads the path's last field from the record it reached.
func terminalValue(r Record, p fieldPath) any {
	if p.field == nil {
		for name, v := range r.Fields {
			if strings.EqualFold(name, p.name) {
				return v
			}
		}
		return r.Get(p.name)
	}
	if p.component != nil {
		c, _ := r.Fields[p.field.Name].(Values)
		return c[p.component.Name]
	}
	return r.Fields[p.field.Name]
}
