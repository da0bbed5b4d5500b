package salesforce

import (
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bulkDateTime is the date-time format of Bulk API 2.0 CSV results.
const bulkDateTime = "2006-01-02T15:04:05.000Z"

// bulkLastLocator is the Sforce-Locator of the last page: the string null.
const bulkLastLocator = "null"

// bulkResults serves GET …/jobs/query/{id}/results?locator=&maxRecords=.
// The page is rendered row by row onto the connection from the job's
// snapshot, so no page is ever held whole in memory.
func (s *restService) bulkResults(w http.ResponseWriter, r *http.Request, version string) {
	j, ok := s.bulkJobFor(w, r)
	if !ok {
		return
	}
	if version != j.version {
		writeRESTError(w, http.StatusConflict, "API_ERROR", "Get the results of job "+j.id+" with the API version that created it ("+j.version+")")
		return
	}
	state, _, rows := j.snapshot()
	if state != bulkJobComplete {
		writeRESTError(w, http.StatusPreconditionFailed, "JOB_NOT_COMPLETE", "The job is not complete. Current status: "+upperState(state))
		return
	}
	offset, ok := decodeBulkLocator(r.URL.Query().Get("locator"), len(rows))
	if !ok {
		writeRESTError(w, http.StatusBadRequest, "API_ERROR", "Invalid locator: "+r.URL.Query().Get("locator"))
		return
	}
	limit, ok := s.maxRecords(r)
	if !ok {
		writeRESTError(w, http.StatusBadRequest, "API_ERROR", "maxRecords must be a positive whole number")
		return
	}
	end := min(offset+limit, len(rows))
	next := bulkLastLocator
	if end < len(rows) {
		next = encodeBulkLocator(end)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=UTF-8")
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	h.Set("Sforce-Locator", next)
	var out io.Writer = w
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		defer zw.Close()
		out = zw
	}
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(out, 64<<10)
	s.org.writeBulkCSV(bw, j, rows[offset:end])
	_ = bw.Flush()
}

// maxRecords reads the maxRecords parameter (DefaultMaxRecords when absent).
func (s *restService) maxRecords(r *http.Request) (int, bool) {
	text := r.URL.Query().Get("maxRecords")
	if text == "" {
		return s.bulk.cfg.DefaultMaxRecords, true
	}
	n, err := strconv.Atoi(text)
	return n, err == nil && n > 0
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(coding, "gzip") {
			return true
		}
	}
	return false
}

// encodeBulkLocator is the opaque locator of a page starting at offset:
// base64 of the decimal offset, as real locators appear to be (MTAwMDA).
func encodeBulkLocator(offset int) string {
	return base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

// decodeBulkLocator reads a locator ("" is the first page).
func decodeBulkLocator(locator string, rows int) (int, bool) {
	if locator == "" {
		return 0, true
	}
	b, err := base64.RawStdEncoding.DecodeString(locator)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil && n >= 0 && n <= rows && encodeBulkLocator(n) == locator
}

// bulkColumns are the job's columns: SELECT order from v50.0, alphabetical
// before (reference bulk-api-2 §1.3).
func bulkColumns(j *bulkJob) []fieldPath {
	cols := slices.Clone(j.query.selects)
	if apiVersionNumber(j.version) < 50 {
		slices.SortStableFunc(cols, func(a, b fieldPath) int { return strings.Compare(a.String(), b.String()) })
	}
	return cols
}

// writeBulkCSV writes a header row and then rows, every value quoted.
// encoding/csv's Writer cannot be used: it quotes only where needed and,
// with CRLF line endings, rewrites every LF inside a value to CRLF, where
// Salesforce leaves values as they are.
func (o *Org) writeBulkCSV(w *bufio.Writer, j *bulkJob, rows []Record) {
	cols := bulkColumns(j)
	delim, ending := bulkDelimiters[j.delimiter], bulkLineEnding(j.ending)
	for i, c := range cols {
		if i > 0 {
			_ = w.WriteByte(delim)
		}
		writeQuoted(w, c.String())
	}
	_, _ = w.WriteString(ending)
	for _, r := range rows {
		for i, c := range cols {
			if i > 0 {
				_ = w.WriteByte(delim)
			}
			writeQuoted(w, bulkValue(c.valueType(), o.pathValue(r, c)))
		}
		_, _ = w.WriteString(ending)
	}
}

func bulkLineEnding(name string) string {
	if name == "CRLF" {
		return "\r\n"
	}
	return "\n"
}

// writeQuoted writes v between double quotes, doubling the quotes inside.
func writeQuoted(w *bufio.Writer, v string) {
	_ = w.WriteByte('"')
	for {
		i := strings.IndexByte(v, '"')
		if i < 0 {
			break
		}
		_, _ = w.WriteString(v[:i+1])
		_ = w.WriteByte('"')
		v = v[i+1:]
	}
	_, _ = w.WriteString(v)
	_ = w.WriteByte('"')
}

// bulkResultSize is the byte size of a job's whole CSV result (header rows
// of later pages aside), counted without rendering it: what the daily
// result-volume allocation is charged.
func (o *Org) bulkResultSize(j *bulkJob) int64 {
	cols := bulkColumns(j)
	perRow := int64(len(cols)*3 - 1 + len(bulkLineEnding(j.ending))) // quotes, delimiters, line end
	var total int64
	for _, c := range cols {
		total += int64(len(c.String()))
	}
	total += perRow
	for _, r := range j.rows {
		total += perRow
		for _, c := range cols {
			v := bulkValue(c.valueType(), o.pathValue(r, c))
			total += int64(len(v) + strings.Count(v, `"`))
		}
	}
	return total
}

// bulkValue renders a stored value as Bulk API 2.0 CSV text: null as
// empty, booleans true/false, doubles always with a fraction, date-times
// in UTC with a Z.
func bulkValue(t FieldType, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		if t == TypeDate {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC().Format(bulkDateTime)
	case Values:
		if t == TypeName {
			return fullName(x)
		}
	}
	return ""
}
