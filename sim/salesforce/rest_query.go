package salesforce

import (
	"net/http"
	"strconv"
	"strings"
)

// Query batch sizes (reference §5.2): the Sforce-Query-Options header asks
// for 200 to 2,000 rows per batch; 2,000 is the default. Out-of-range and
// unreadable sizes are not refused (the header is only a request): they
// are clamped, or the default is used.
const (
	minQueryBatch     = 200
	maxQueryBatch     = 2000
	defaultQueryBatch = maxQueryBatch
	// longTextQueryBatch caps the batch of a query that selects two or
	// more custom long text fields, as Salesforce documents (reference
	// bulk-api-2 §5). Whether standard long text (EmailMessage.TextBody
	// and HtmlBody, Description) shrinks pages is not documented:
	// RESTConfig.StandardLongTextShrinksPages counts those too.
	longTextQueryBatch = 200
)

// queryResponse is the body of query, queryAll and their next pages.
type queryResponse struct {
	TotalSize      int           `json:"totalSize"`
	Done           bool          `json:"done"`
	NextRecordsURL string        `json:"nextRecordsUrl,omitempty"`
	Records        []*jsonObject `json:"records"`
}

// query serves GET …/query?q= and …/queryAll?q= (all: soft-deleted rows
// too, with IsDeleted true).
func (s *restService) query(all bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, version string) {
		src := r.URL.Query().Get("q")
		if strings.TrimSpace(src) == "" {
			writeRESTError(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
			return
		}
		parsed, err := parseSOQL(src)
		if err != nil {
			writeQueryError(w, err)
			return
		}
		bound, err := s.org.bindQuery(parsed)
		if err != nil {
			writeQueryError(w, err)
			return
		}
		rows := s.org.runQuery(bound, all)
		if parsed.count {
			writeJSON(w, http.StatusOK, queryResponse{TotalSize: len(rows), Done: true, Records: []*jsonObject{}})
			return
		}
		c := &queryCursor{query: bound, rows: rows, batch: s.pageSize(r, bound)}
		s.writePage(w, version, c, 0)
	}
}

// pageSize is the batch a query gets: the requested one, capped for
// queries that select long text.
func (s *restService) pageSize(r *http.Request, q *boundQuery) int {
	n := batchSize(r)
	if longTextSelected(q, s.standardLongText) >= 2 {
		n = min(n, longTextQueryBatch)
	}
	return n
}

// longTextSelected counts the long text areas a query selects: custom
// ones, and standard ones too when standard is set.
func longTextSelected(q *boundQuery, standard bool) int {
	n := 0
	for _, p := range q.selects {
		if p.valueType() == TypeTextArea && p.field != nil && (standard || p.field.Custom) {
			n++
		}
	}
	return n
}

// batchSize reads Sforce-Query-Options: batchSize=N, clamped to 200–2,000.
func batchSize(r *http.Request) int {
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return defaultQueryBatch
		}
		return min(max(n, minQueryBatch), maxQueryBatch)
	}
	return defaultQueryBatch
}

// queryMore serves a nextRecordsUrl: …/query/<locator>-<offset>.
func (s *restService) queryMore(w http.ResponseWriter, r *http.Request, version string) {
	locator := r.PathValue("locator")
	id, offsetText, ok := strings.Cut(locator, "-")
	offset, err := strconv.Atoi(offsetText)
	c, found := s.cursors.get(id)
	if !ok || err != nil || !found || offset < 0 || offset > len(c.rows) {
		writeRESTError(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.writePage(w, version, c, offset)
}

// writePage writes rows [offset, offset+batch) and, when more remain, the
// URL of the next page; a cursor is kept open only while rows remain.
func (s *restService) writePage(w http.ResponseWriter, version string, c *queryCursor, offset int) {
	end := min(offset+c.batch, len(c.rows))
	resp := queryResponse{TotalSize: len(c.rows), Done: end == len(c.rows), Records: make([]*jsonObject, 0, end-offset)}
	for _, row := range c.rows[offset:end] {
		resp.Records = append(resp.Records, s.org.renderSelected(version, row, c.query.selects))
	}
	if !resp.Done {
		if c.id == "" {
			c.id = s.cursors.open(c)
		}
		// Like Salesforce, the next page is under /query/ even for queryAll.
		resp.NextRecordsURL = "/services/data/" + version + "/query/" + c.id + "-" + strconv.Itoa(end)
	} else if c.id != "" {
		s.cursors.close(c.id)
	}
	writeJSON(w, http.StatusOK, resp)
}
