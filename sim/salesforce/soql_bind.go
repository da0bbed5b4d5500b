package salesforce

import (
	"slices"
	"strings"
)

// boundQuery is a parsed query checked against the catalogue: every field
// path resolved to canonical API names, every literal checked against its
// field's type.
type boundQuery struct {
	q       *soqlQuery
	object  Object
	selects []fieldPath
	where   boundExpr
	orderBy []boundOrder
}

// fieldPath is a resolved field reference: zero or more parent
// relationships followed by a field of the last object.
type fieldPath struct {
	steps []relationshipStep
	// field is the terminal field when its object is known; for a
	// polymorphic relationship (What, Owner) only name is known and the
	// value is looked up on whatever record the reference points to.
	field     *Field
	component *Component // a flat component name such as BillingCity
	name      string     // canonical terminal name, the JSON key
}

// relationshipStep follows one reference field to its parent record.
type relationshipStep struct {
	name     string // relationship name: Parent, What, Account__r
	refField string // the reference field: ParentId, WhatId, Account__c
}

type boundOrder struct {
	path       fieldPath
	desc       bool
	nullsFirst bool
}

// boundExpr evaluates a WHERE condition on one record.
type boundExpr interface{}

type boundAnd []boundExpr
type boundOr []boundExpr
type boundNot struct{ term boundExpr }

type boundCompare struct {
	path  fieldPath
	op    string
	value any // nil, string, bool, float64, time.Time (see literalValue)
}

type boundIn struct {
	path   fieldPath
	not    bool
	values []any
}

// relationshipName is the name SOQL uses to reach the parent of a
// reference field: ParentId → Parent, Account__c → Account__r.
func relationshipName(refField string) string {
	if base, ok := strings.CutSuffix(refField, "__c"); ok {
		return base + "__r"
	}
	if base, ok := strings.CutSuffix(refField, "Id"); ok && base != "" {
		return base
	}
	return ""
}

// bindQuery resolves q against the org's catalogue.
func (o *Org) bindQuery(q *soqlQuery) (*boundQuery, error) {
	obj, ok := o.objectFold(q.object.text)
	if !ok {
		return nil, &soqlError{code: "INVALID_TYPE", message: queryErrorMessage(q.src, q.object.pos,
			"sObject type '"+q.object.text+"' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.")}
	}
	b := &boundQuery{q: q, object: obj}
	seen := map[string]bool{}
	for _, f := range q.fields {
		p, err := o.resolvePath(q.src, obj, f)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(p.String())
		if seen[key] {
			return nil, malformedQuery(q.src, f.pos, "duplicate field selected: "+p.String())
		}
		seen[key] = true
		b.selects = append(b.selects, p)
	}
	var err error
	if q.where != nil {
		if b.where, err = o.bindExpr(q.src, obj, q.where); err != nil {
			return nil, err
		}
	}
	for _, ord := range q.orderBy {
		p, err := o.resolvePath(q.src, obj, ord.field)
		if err != nil {
			return nil, err
		}
		if p.field != nil && p.field.Type == TypeTextArea {
			return nil, invalidField(q.src, ord.field.pos, "field '"+p.name+"' can not be sorted in a query call")
		}
		b.orderBy = append(b.orderBy, boundOrder{path: p, desc: ord.desc, nullsFirst: ord.nullsFirst})
	}
	return b, nil
}

// String is the canonical dotted path, e.g. Parent.CaseNumber.
func (p fieldPath) String() string {
	var parts []string
	for _, s := range p.steps {
		parts = append(parts, s.name)
	}
	return strings.Join(append(parts, p.name), ".")
}

// resolvePath resolves a dotted reference from obj, case-insensitively.
func (o *Org) resolvePath(src string, obj Object, f soqlField) (fieldPath, error) {
	parts := strings.Split(f.path, ".")
	var p fieldPath
	cur, known := obj, true
	for _, rel := range parts[:len(parts)-1] {
		if !known {
			p.steps = append(p.steps, relationshipStep{name: rel})
			continue
		}
		ref, ok := findRelationship(cur, rel)
		if !ok {
			return fieldPath{}, invalidField(src, f.pos, "Didn't understand relationship '"+rel+"' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.")
		}
		p.steps = append(p.steps, relationshipStep{name: relationshipName(ref.Name), refField: ref.Name})
		cur, known = o.singleTarget(ref)
	}
	last := parts[len(parts)-1]
	if !known {
		p.name = last
		return p, nil
	}
	field, comp, ok := resolveField(&cur, last)
	if !ok {
		return fieldPath{}, invalidField(src, f.pos, "No such column '"+last+"' on entity '"+cur.Name+"'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.")
	}
	p.field, p.name = &field, field.Name
	if comp != nil {
		p.component, p.name = comp, comp.FlatName
	}
	return p, nil
}

// findRelationship finds the reference field whose relationship name is rel.
func findRelationship(obj Object, rel string) (Field, bool) {
	for _, f := range obj.Fields {
		if f.Type == TypeReference && strings.EqualFold(relationshipName(f.Name), rel) {
			return f, true
		}
	}
	return Field{}, false
}

// singleTarget is the parent object of a reference that can point to one
// catalogue object only; polymorphic references and references to objects
// the simulator does not model (User, Group) are resolved per record.
func (o *Org) singleTarget(ref Field) (Object, bool) {
	if len(ref.ReferenceTo) != 1 {
		return Object{}, false
	}
	return o.Object(ref.ReferenceTo[0])
}

// objectFold finds an object by API name, ignoring case as SOQL does.
func (o *Org) objectFold(name string) (Object, bool) {
	for _, obj := range o.Objects() {
		if strings.EqualFold(obj.Name, name) {
			return obj, true
		}
	}
	return Object{}, false
}

func (o *Org) bindExpr(src string, obj Object, e soqlExpr) (boundExpr, error) {
	switch x := e.(type) {
	case soqlAnd:
		terms, err := o.bindTerms(src, obj, x.terms)
		return boundAnd(terms), err
	case soqlOr:
		terms, err := o.bindTerms(src, obj, x.terms)
		return boundOr(terms), err
	case soqlNot:
		t, err := o.bindExpr(src, obj, x.term)
		return boundNot{t}, err
	case soqlCompare:
		return o.bindCompare(src, obj, x)
	case soqlIn:
		return o.bindIn(src, obj, x)
	}
	return nil, malformedQuery(src, 0, "unsupported condition")
}

func (o *Org) bindTerms(src string, obj Object, terms []soqlExpr) ([]boundExpr, error) {
	out := make([]boundExpr, 0, len(terms))
	for _, t := range terms {
		b, err := o.bindExpr(src, obj, t)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (o *Org) bindCompare(src string, obj Object, c soqlCompare) (boundExpr, error) {
	p, err := o.filterPath(src, obj, c.field)
	if err != nil {
		return nil, err
	}
	v, err := literalValue(src, p, c.value)
	if err != nil {
		return nil, err
	}
	if err := checkOperator(src, p, c.op, v, c.value); err != nil {
		return nil, err
	}
	return boundCompare{path: p, op: c.op, value: v}, nil
}

func (o *Org) bindIn(src string, obj Object, in soqlIn) (boundExpr, error) {
	p, err := o.filterPath(src, obj, in.field)
	if err != nil {
		return nil, err
	}
	b := boundIn{path: p, not: in.not}
	for _, lit := range in.values {
		v, err := literalValue(src, p, lit)
		if err != nil {
			return nil, err
		}
		b.values = append(b.values, v)
	}
	return b, nil
}

// filterPath resolves a WHERE field; long text areas cannot be filtered.
func (o *Org) filterPath(src string, obj Object, f soqlField) (fieldPath, error) {
	p, err := o.resolvePath(src, obj, f)
	if err != nil {
		return fieldPath{}, err
	}
	if p.field != nil && p.component == nil && p.field.Type == TypeTextArea {
		return fieldPath{}, invalidField(src, f.pos, "field '"+p.name+"' can not be filtered in a query call")
	}
	if p.field != nil && p.component == nil && p.field.Type.IsCompound() {
		return fieldPath{}, invalidField(src, f.pos, "field '"+p.name+"' can not be filtered in a query call")
	}
	return p, nil
}

// checkOperator rejects operators the field type does not support.
func checkOperator(src string, p fieldPath, op string, v any, lit soqlToken) error {
	t := p.valueType()
	switch {
	case v == nil && op != "=" && op != "!=":
		return &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", message: queryErrorMessage(src, lit.pos, "invalid operator on null")}
	case op == "LIKE" && t != "" && !slices.Contains([]FieldType{TypeString, TypeEmail, TypePicklist, TypeTextArea}, t):
		return &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", message: queryErrorMessage(src, lit.pos, "invalid operator on "+string(t)+" field: LIKE")}
	case t == TypeBoolean && op != "=" && op != "!=":
		return &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", message: queryErrorMessage(src, lit.pos, "invalid operator on boolean field: "+op)}
	}
	return nil
}

// valueType is the type of the values the path yields ("" when only known
// per record).
func (p fieldPath) valueType() FieldType {
	switch {
	case p.component != nil:
		return p.component.Type
	case p.field != nil:
		return p.field.Type
	}
	return ""
}

func invalidField(src string, pos int, detail string) error {
	return &soqlError{code: "INVALID_FIELD", message: queryErrorMessage(src, pos, detail)}
}
