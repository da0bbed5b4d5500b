package salesforce

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrBulkMalformedCSV: a results page is not the CSV Salesforce writes
// (bad quoting, a ragged row, a header that repeats or lacks a column,
// text that is not UTF-8, a value of the wrong type). Fetching the same
// locator again may help if the answer was damaged on the way.
var ErrBulkMalformedCSV = errors.New("malformed Bulk result CSV")

// bulkPageReader reads one results page with its own csv.Reader: every
// page starts with a header row, so pages are never concatenated.
type bulkPageReader struct {
	csv    *csv.Reader
	header []string
	row    int // data rows read so far
}

// newBulkPageReader prepares to read body; delim is the job's column
// delimiter, maxRecord the cap on one record's bytes.
func newBulkPageReader(body io.Reader, delim rune, maxRecord int64) *bulkPageReader {
	r := csv.NewReader(newCSVGuard(body, maxRecord))
	r.Comma = delim
	r.FieldsPerRecord = 0 // every row as wide as the header
	r.LazyQuotes = false  // bad quoting fails loudly
	r.ReuseRecord = true
	return &bulkPageReader{csv: r}
}

// readHeader reads the page's header row; an empty page gives io.EOF.
func (p *bulkPageReader) readHeader() ([]string, error) {
	fields, err := p.read()
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(fields))
	for _, h := range fields {
		key := strings.ToLower(h)
		if h == "" || seen[key] {
			return nil, fmt.Errorf("%w: header row names a column twice or leaves one unnamed", ErrBulkMalformedCSV)
		}
		seen[key] = true
	}
	p.header = fields
	return fields, nil
}

// next reads one data row; after the last it gives io.EOF.
func (p *bulkPageReader) next() ([]string, error) {
	fields, err := p.read()
	if err != nil {
		return nil, err
	}
	p.row++
	return fields, nil
}

// read reads a row, restores escaped carriage returns and checks UTF-8.
// The values are copies: the csv.Reader reuses its slice.
func (p *bulkPageReader) read() ([]string, error) {
	raw, err := p.csv.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	var syntax *csv.ParseError
	if errors.As(err, &syntax) {
		return nil, fmt.Errorf("%w: %v", ErrBulkMalformedCSV, err)
	}
	if err != nil {
		return nil, err // the connection, or the record cap
	}
	out := make([]string, len(raw))
	for i, f := range raw {
		v, err := unescapeField(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBulkMalformedCSV, err)
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("%w: row %d, column %d is not valid UTF-8", ErrBulkMalformedCSV, p.row+1, i+1)
		}
		out[i] = v
	}
	return out, nil
}

// record builds the REST-shaped record of one row: attributes (type, and
// url when Id is a column), values by their describe type, relationship
// columns nested as REST nests them, a relationship whose every value is
// empty as nil (REST's null reference).
func (s *bulkSchema) record(fields []string) (Record, error) {
	if len(fields) != len(s.columns) {
		return nil, fmt.Errorf("%w: a row has %d values for %d columns", ErrBulkMalformedCSV, len(fields), len(s.columns))
	}
	rec := Record{}
	for i, col := range s.columns {
		v, err := col.kind.convert(fields[i])
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %v", ErrBulkMalformedCSV, col.header, err)
		}
		setPath(rec, col.path, v)
	}
	for i := len(s.rels) - 1; i >= 0; i-- {
		s.settleRelationship(rec, s.rels[i])
	}
	id, _ := rec["Id"].(string)
	rec["attributes"] = s.attributesWithID(s.object, id)
	return rec, nil
}

// setPath stores v under path, creating nested records on the way.
func setPath(m map[string]any, path []string, v any) {
	for _, step := range path[:len(path)-1] {
		next, ok := m[step].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[step] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// settleRelationship gives a nested record its attributes, or makes it nil
// when the reference is null: its ID (the nested Id, or the parent's
// reference field such as OwnerId) is empty or not selected, and all its
// values are empty. Deeper relationships are settled first.
func (s *bulkSchema) settleRelationship(rec Record, rel relationship) {
	parent := map[string]any(rec)
	for _, step := range rel.path[:len(rel.path)-1] {
		p, ok := parent[step].(map[string]any)
		if !ok {
			return
		}
		parent = p
	}
	key := rel.path[len(rel.path)-1]
	nested, ok := parent[key].(map[string]any)
	if !ok {
		return
	}
	id, _ := nested["Id"].(string)
	if id == "" && rel.idSource != "" {
		id, _ = parent[rel.idSource].(string)
	}
	if id == "" && allNil(nested) {
		parent[key] = nil
		return
	}
	nested["attributes"] = s.attributesWithID(rel.object, id)
}

// allNil reports whether a nested record has no value at all: CSV cannot
// tell a null reference from a related record whose selected fields are
// all null, unless the reference's ID is a column too.
func allNil(m map[string]any) bool {
	for _, v := range m {
		if v != nil {
			return false
		}
	}
	return true
}

// attributesWithID is REST's "attributes" member for a record of object:
// its type and, when the ID is known, its URL; empty when the object is
// not known (a polymorphic reference).
func (s *bulkSchema) attributesWithID(object, id string) map[string]any {
	a := map[string]any{}
	if object == "" {
		return a
	}
	a["type"] = object
	if id != "" {
		a["url"] = "/services/data/" + s.version + "/sobjects/" + object + "/" + id
	}
	return a
}
