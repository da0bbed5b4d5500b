package salesforce

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxBulkRequestBytes bounds a job request body; SOQL statements are at
// most 100,000 characters.
const maxBulkRequestBytes = 1 << 20

// bulkJobRequest is the body of POST …/jobs/query, defaults filled in.
type bulkJobRequest struct {
	Operation       string `json:"operation"`
	Query           string `json:"query"`
	ContentType     string `json:"contentType"`
	ColumnDelimiter string `json:"columnDelimiter"`
	LineEnding      string `json:"lineEnding"`
}

// bulkDelimiters maps the columnDelimiter names to their characters.
var bulkDelimiters = map[string]byte{
	"BACKQUOTE": '`', "CARET": '^', "COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "TAB": '\t',
}

// bulkRequestError is a refused job body: its status, code and message.
type bulkRequestError struct {
	code    string
	message string
}

func (e *bulkRequestError) Error() string { return e.code + ": " + e.message }

// decodeBulkJobRequest reads and checks a job body: one JSON object,
// operation query or queryAll, a query, contentType CSV, a known column
// delimiter (COMMA by default) and line ending (LF by default).
func decodeBulkJobRequest(body io.Reader) (bulkJobRequest, error) {
	var req bulkJobRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "The request body is not a JSON object: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "The request body has more than one JSON value"}
	}
	if req.ContentType == "" {
		req.ContentType = "CSV"
	}
	if req.ColumnDelimiter == "" {
		req.ColumnDelimiter = "COMMA"
	}
	if req.LineEnding == "" {
		req.LineEnding = "LF"
	}
	switch {
	case req.Operation == "":
		return req, &bulkRequestError{"API_ERROR", "The operation is required: query or queryAll"}
	case req.Operation != "query" && req.Operation != "queryAll":
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "Unknown operation '" + req.Operation + "': use query or queryAll"}
	case strings.TrimSpace(req.Query) == "":
		return req, &bulkRequestError{"API_ERROR", "The query is required"}
	case req.ContentType != "CSV":
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "Unknown contentType '" + req.ContentType + "': CSV is the only one"}
	case req.LineEnding != "LF" && req.LineEnding != "CRLF":
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "Unknown lineEnding '" + req.LineEnding + "': use LF or CRLF"}
	}
	if _, ok := bulkDelimiters[req.ColumnDelimiter]; !ok {
		return req, &bulkRequestError{"JSON_PARSER_ERROR", "Unknown columnDelimiter '" + req.ColumnDelimiter + "': use BACKQUOTE, CARET, COMMA, PIPE, SEMICOLON or TAB"}
	}
	return req, nil
}

func writeBulkRequestError(w http.ResponseWriter, err error) {
	var re *bulkRequestError
	if errors.As(err, &re) {
		writeRESTError(w, http.StatusBadRequest, re.code, re.message)
		return
	}
	writeRESTError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", err.Error())
}

// bindBulkQuery parses and binds a job's statement, refusing what Bulk API
// 2.0 does not support (reference bulk-api-2 §3) before the parser would
// call it malformed.
func (s *restService) bindBulkQuery(src string) (*boundQuery, error) {
	if err := checkBulkSOQL(src); err != nil {
		return nil, err
	}
	parsed, err := parseSOQL(src)
	if err != nil {
		return nil, err
	}
	bound, err := s.org.bindQuery(parsed)
	if err != nil {
		return nil, err
	}
	for _, p := range bound.selects {
		if p.component == nil && p.valueType() == TypeAddress {
			return nil, bulkUnsupported("Selecting compound data not supported in Bulk Query")
		}
	}
	return bound, nil
}

// bulkAggregates are SOQL's aggregate functions.
var bulkAggregates = []string{"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}

// checkBulkSOQL refuses the clauses and functions Bulk API 2.0 does not
// support. It looks at tokens, so words inside string literals do not count.
func checkBulkSOQL(src string) error {
	toks, err := lexSOQL(src)
	if err != nil {
		return err
	}
	inSelectList := true
	for i := 0; i+1 < len(toks); i++ {
		t, next := toks[i], toks[i+1]
		switch {
		case t.is("FROM"):
			inSelectList = false
		case t.is("GROUP") && next.is("BY"):
			return bulkUnsupported("GROUP BY is not supported by Bulk API 2.0 query")
		case t.is("OFFSET"):
			return bulkUnsupported("OFFSET is not supported by Bulk API 2.0 query")
		case t.is("TYPEOF"):
			return bulkUnsupported("TYPEOF is not supported by Bulk API 2.0 query")
		case t.is("FIELDS") && next.is("("):
			return bulkUnsupported("FIELDS() is not supported by Bulk API 2.0 query")
		case t.kind == tokIdent && next.is("(") && isAggregate(t.text):
			return bulkUnsupported("Aggregate functions such as " + strings.ToUpper(t.text) + "() are not supported by Bulk API 2.0 query")
		case inSelectList && t.is("(") && next.is("SELECT"):
			return bulkUnsupported("Aggregate Relationships not supported in Bulk V2 Query with CSV content type")
		}
	}
	return nil
}

func isAggregate(word string) bool {
	for _, a := range bulkAggregates {
		if strings.EqualFold(word, a) {
			return true
		}
	}
	return false
}

func bulkUnsupported(message string) error {
	return &soqlError{code: "API_ERROR", message: message}
}
