package salesforce

import (
	"fmt"
	"strconv"
	"strings"
)

// soqlQuery is a parsed SELECT statement: the subset of SOQL sfcdc uses
// (field lists with parent relationships, WHERE with comparisons, IN,
// LIKE, AND/OR/NOT, ORDER BY, LIMIT, OFFSET, COUNT()).
type soqlQuery struct {
	src     string
	count   bool        // SELECT COUNT()
	fields  []soqlField // the select list, in order
	object  soqlToken
	where   soqlExpr // nil: every row
	orderBy []soqlOrder
	limit   int // -1: none
	offset  int
}

// soqlField is a field path as written, e.g. "Parent.CaseNumber".
type soqlField struct {
	path string
	pos  int
}

type soqlOrder struct {
	field      soqlField
	desc       bool
	nullsFirst bool
}

// soqlExpr is a WHERE condition: soqlAnd, soqlOr, soqlNot, soqlCompare or soqlIn.
type soqlExpr interface{ isExpr() }

type soqlAnd struct{ terms []soqlExpr }
type soqlOr struct{ terms []soqlExpr }
type soqlNot struct{ term soqlExpr }

// soqlCompare is `field op literal`; op is one of = != < <= > >= LIKE.
type soqlCompare struct {
	field soqlField
	op    string
	value soqlToken
}

// soqlIn is `field [NOT] IN (literals)`.
type soqlIn struct {
	field  soqlField
	not    bool
	values []soqlToken
}

func (soqlAnd) isExpr()     {}
func (soqlOr) isExpr()      {}
func (soqlNot) isExpr()     {}
func (soqlCompare) isExpr() {}
func (soqlIn) isExpr()      {}

// soqlParser is a recursive-descent parser over the token list.
type soqlParser struct {
	src  string
	toks []soqlToken
	at   int
}

// parseSOQL parses one statement; errors are MALFORMED_QUERY *soqlError.
func parseSOQL(src string) (*soqlQuery, error) {
	toks, err := lexSOQL(src)
	if err != nil {
		return nil, err
	}
	p := &soqlParser{src: src, toks: toks}
	return p.query()
}

func (p *soqlParser) peek() soqlToken { return p.toks[p.at] }
func (p *soqlParser) next() soqlToken { t := p.toks[p.at]; p.at = min(p.at+1, len(p.toks)-1); return t }

// accept consumes the keyword or punctuation s if it comes next.
func (p *soqlParser) accept(s string) bool {
	if p.peek().is(s) {
		p.next()
		return true
	}
	return false
}

func (p *soqlParser) expect(s string) error {
	if !p.accept(s) {
		return p.unexpected()
	}
	return nil
}

// unexpected is Salesforce's complaint about the next token.
func (p *soqlParser) unexpected() error {
	t := p.peek()
	if t.kind == tokEOF {
		return malformedQuery(p.src, t.pos, "unexpected token: <EOF>")
	}
	return malformedQuery(p.src, t.pos, "unexpected token: "+t.text)
}

func (p *soqlParser) query() (*soqlQuery, error) {
	q := &soqlQuery{src: p.src, limit: -1}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokIdent || strings.Contains(t.text, ".") || isSOQLKeyword(t.text) {
		return nil, p.unexpected()
	}
	q.object = p.next()
	if err := p.clauses(q); err != nil {
		return nil, err
	}
	if p.peek().kind != tokEOF {
		return nil, p.unexpected()
	}
	return q, nil
}

func (p *soqlParser) selectList(q *soqlQuery) error {
	if p.peek().is("COUNT") && p.toks[p.at+1].is("(") {
		p.next()
		p.next()
		if !p.accept(")") {
			return malformedQuery(p.src, p.peek().pos, "aggregate functions other than COUNT() are not supported by the simulator")
		}
		q.count = true
		return nil
	}
	for {
		f, err := p.field()
		if err != nil {
			return err
		}
		q.fields = append(q.fields, f)
		if !p.accept(",") {
			return nil
		}
	}
}

func (p *soqlParser) field() (soqlField, error) {
	t := p.peek()
	if t.kind != tokIdent || isSOQLKeyword(t.text) || strings.HasSuffix(t.text, ".") || strings.HasPrefix(t.text, ".") {
		return soqlField{}, p.unexpected()
	}
	p.next()
	return soqlField{path: t.text, pos: t.pos}, nil
}

// isSOQLKeyword lists the reserved words that cannot start a field path.
func isSOQLKeyword(s string) bool {
	switch strings.ToUpper(s) {
	case "SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN", "LIKE", "ASC", "DESC", "NULLS", "NULL", "TRUE", "FALSE":
		return true
	}
	return false
}

// clauses parses WHERE, ORDER BY, LIMIT and OFFSET, in that order.
func (p *soqlParser) clauses(q *soqlQuery) error {
	var err error
	if p.accept("WHERE") {
		if q.where, err = p.condition(); err != nil {
			return err
		}
	}
	if p.accept("ORDER") {
		if err := p.expect("BY"); err != nil {
			return err
		}
		if q.orderBy, err = p.orderList(); err != nil {
			return err
		}
	}
	if p.accept("LIMIT") {
		if q.limit, err = p.count(); err != nil {
			return err
		}
	}
	if p.accept("OFFSET") {
		if q.offset, err = p.count(); err != nil {
			return err
		}
	}
	return nil
}

func (p *soqlParser) count() (int, error) {
	t := p.peek()
	n, err := strconv.Atoi(t.text)
	if t.kind != tokNumber || err != nil || n < 0 {
		return 0, p.unexpected()
	}
	p.next()
	return n, nil
}

func (p *soqlParser) orderList() ([]soqlOrder, error) {
	var out []soqlOrder
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		o := soqlOrder{field: f}
		if p.accept("DESC") {
			o.desc = true
		} else {
			p.accept("ASC")
		}
		o.nullsFirst = !o.desc // Salesforce's default: nulls first ascending, last descending
		if p.accept("NULLS") {
			switch {
			case p.accept("FIRST"):
				o.nullsFirst = true
			case p.accept("LAST"):
				o.nullsFirst = false
			default:
				return nil, p.unexpected()
			}
		}
		out = append(out, o)
		if !p.accept(",") {
			return out, nil
		}
	}
}

// condition parses terms joined by AND or by OR. Like Salesforce, it
// rejects mixing the two at one level without parentheses.
func (p *soqlParser) condition() (soqlExpr, error) {
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	terms := []soqlExpr{first}
	joiner := ""
	for p.peek().is("AND") || p.peek().is("OR") {
		word := strings.ToUpper(p.peek().text)
		if joiner != "" && word != joiner {
			return nil, p.unexpected()
		}
		joiner = word
		p.next()
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	switch joiner {
	case "AND":
		return soqlAnd{terms}, nil
	case "OR":
		return soqlOr{terms}, nil
	}
	return first, nil
}

func (p *soqlParser) term() (soqlExpr, error) {
	if p.accept("NOT") {
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		return soqlNot{t}, nil
	}
	if p.accept("(") {
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	return p.predicate()
}

func (p *soqlParser) predicate() (soqlExpr, error) {
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tokOperator:
		p.next()
		op := t.text
		if op == "<>" {
			op = "!="
		}
		v, err := p.literal()
		return soqlCompare{field: f, op: op, value: v}, err
	case t.is("LIKE"):
		p.next()
		v, err := p.literal()
		return soqlCompare{field: f, op: "LIKE", value: v}, err
	case t.is("IN"), t.is("NOT"):
		not := p.accept("NOT")
		if err := p.expect("IN"); err != nil {
			return nil, err
		}
		values, err := p.literalList()
		return soqlIn{field: f, not: not, values: values}, err
	}
	return nil, p.unexpected()
}

func (p *soqlParser) literalList() ([]soqlToken, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []soqlToken
	for {
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if p.accept(")") {
			return out, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

func (p *soqlParser) literal() (soqlToken, error) {
	t := p.peek()
	switch {
	case t.kind == tokString, t.kind == tokNumber, t.kind == tokDate, t.kind == tokDateTime:
	case t.is("NULL"), t.is("TRUE"), t.is("FALSE"):
	default:
		return soqlToken{}, p.unexpected()
	}
	p.next()
	return t, nil
}

// soqlError is a query the API refuses; it becomes the REST error body.
type soqlError struct {
	code    string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, INVALID_QUERY_FILTER_OPERATOR
	message string
}

func (e *soqlError) Error() string { return e.code + ": " + e.message }

// queryErrorMessage frames a problem the way Salesforce does: the
// statement, a caret under the offending spot, its row and column, then
// the detail.
func queryErrorMessage(src string, pos int, detail string) string {
	pos = min(max(pos, 0), len(src))
	row, lineStart := 1, 0
	for i := 0; i < pos; i++ {
		if src[i] == '\n' {
			row, lineStart = row+1, i+1
		}
	}
	lineEnd := strings.IndexByte(src[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src) - lineStart
	}
	col := pos - lineStart + 1
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s", src[lineStart:lineStart+lineEnd], strings.Repeat(" ", col-1), row, col, detail)
}

func malformedQuery(src string, pos int, detail string) error {
	return &soqlError{code: "MALFORMED_QUERY", message: queryErrorMessage(src, pos, detail)}
}
