package salesforce

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Bulk API 2.0 query jobs follow reference bulk-api-2 §1–3. Where the
// reference is unsure the simulator chooses, and says so here:
//
//   - A job is UploadComplete for QueueTime, InProgress for BaseTime plus
//     PerRecordTime per matching row, then JobComplete (or Failed when a
//     fault says so). Its rows are the snapshot taken when it completes.
//   - Refusals are JSON arrays [{"errorCode","message"}]: unsupported
//     SOQL (GROUP BY, OFFSET, TYPEOF, aggregates, FIELDS(), parent-to-child
//     subqueries, compound address fields) is 400 API_ERROR; a bad
//     statement is 400 with the REST query's code (MALFORMED_QUERY,
//     INVALID_FIELD, INVALID_TYPE); a malformed body or an unknown enum
//     value is 400 JSON_PARSER_ERROR; a missing operation or query is 400
//     API_ERROR; the daily allocations are 400 LIMIT_EXCEEDED with
//     Salesforce's texts; an unknown, deleted or expired job is 404
//     NOT_FOUND; results before JobComplete are 412 JOB_NOT_COMPLETE (the
//     v222 documentation's answer); results asked with another API version
//     than the job's are 409 API_ERROR; abort of a finished job and delete
//     of an unfinished one are 400 API_ERROR.
//   - /jobs/query does not exist below v47.0: 404 NOT_FOUND.
//   - Results: every value quoted, quotes doubled, CR and LF inside values
//     written as they are, null and empty both "", booleans true/false,
//     doubles with a fraction (23.0), dates 2006-01-02, date-times
//     2006-01-02T15:04:05.000Z. Columns come in SELECT order from v50.0,
//     alphabetically before. The locator is base64 of the next row's
//     offset; a page without maxRecords holds DefaultMaxRecords rows.
//   - gzip when the request accepts it.

// BulkConfig sets the simulated Bulk API 2.0 query jobs' timing and daily
// allocations. The zero value uses the defaults each field names.
type BulkConfig struct {
	// QueueTime a job stays UploadComplete (100 ms when 0; negative: none).
	QueueTime time.Duration
	// BaseTime every job spends InProgress (500 ms when 0; negative: none).
	BaseTime time.Duration
	// PerRecordTime is added to InProgress for every matching row (2 µs
	// when 0, so 500,000 rows take one second more; negative: none).
	PerRecordTime time.Duration
	// DailyJobs is the query jobs allowed per rolling 24 hours
	// (DefaultBulkDailyJobs when 0).
	DailyJobs int
	// DailyResultKB is the result volume in KB allowed per rolling 24
	// hours (DefaultBulkDailyResultKB when 0).
	DailyResultKB int64
	// Retention keeps a finished job and its results (DefaultBulkRetention
	// when 0); afterwards the job answers 404.
	Retention time.Duration
	// DefaultMaxRecords is the page size when a results request has no
	// maxRecords (50,000 when 0).
	DefaultMaxRecords int
}

func (c BulkConfig) withDefaults() BulkConfig {
	c.QueueTime = durationOr(c.QueueTime, 100*time.Millisecond)
	c.BaseTime = durationOr(c.BaseTime, 500*time.Millisecond)
	c.PerRecordTime = durationOr(c.PerRecordTime, 2*time.Microsecond)
	if c.DailyJobs <= 0 {
		c.DailyJobs = DefaultBulkDailyJobs
	}
	if c.DailyResultKB <= 0 {
		c.DailyResultKB = DefaultBulkDailyResultKB
	}
	if c.Retention <= 0 {
		c.Retention = DefaultBulkRetention
	}
	if c.DefaultMaxRecords <= 0 {
		c.DefaultMaxRecords = 50_000
	}
	return c
}

// durationOr is d, def when d is 0, and 0 when d is negative.
func durationOr(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// minBulkQueryVersion is the first API version with query jobs.
const minBulkQueryVersion = 47

func (s *restService) bulkRoutes(mux *http.ServeMux, base string) {
	mux.HandleFunc("POST "+base+"/jobs/query", s.api(s.bulkAPI(s.bulkCreate)))
	mux.HandleFunc("GET "+base+"/jobs/query", s.api(s.bulkAPI(s.bulkList)))
	mux.HandleFunc("GET "+base+"/jobs/query/{id}", s.api(s.bulkAPI(s.bulkInfo)))
	mux.HandleFunc("PATCH "+base+"/jobs/query/{id}", s.api(s.bulkAPI(s.bulkAbort)))
	mux.HandleFunc("DELETE "+base+"/jobs/query/{id}", s.api(s.bulkAPI(s.bulkDelete)))
	mux.HandleFunc("GET "+base+"/jobs/query/{id}/results", s.api(s.bulkAPI(s.bulkResults)))
}

// bulkAPI refuses API versions before query jobs existed.
func (s *restService) bulkAPI(h func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, version string) {
		if apiVersionNumber(version) < minBulkQueryVersion {
			writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
			return
		}
		h(w, r, version)
	}
}

// apiVersionNumber is 62 for v62.0 (0 when it is not a version).
func apiVersionNumber(version string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(version, "v"), ".0"))
	return n
}

// bulkJobJSON is a query job as GET …/jobs/query/{id} returns it; the
// create answer leaves out the counters (omitted when nil).
type bulkJobJSON struct {
	ID                     string      `json:"id"`
	Operation              string      `json:"operation"`
	Object                 string      `json:"object"`
	CreatedByID            string      `json:"createdById"`
	CreatedDate            string      `json:"createdDate"`
	SystemModstamp         string      `json:"systemModstamp"`
	State                  string      `json:"state"`
	ConcurrencyMode        string      `json:"concurrencyMode"`
	ContentType            string      `json:"contentType"`
	APIVersion             json.Number `json:"apiVersion"`
	JobType                string      `json:"jobType,omitempty"`
	LineEnding             string      `json:"lineEnding"`
	ColumnDelimiter        string      `json:"columnDelimiter"`
	NumberRecordsProcessed *int        `json:"numberRecordsProcessed,omitempty"`
	Retries                *int        `json:"retries,omitempty"`
	TotalProcessingTime    *int64      `json:"totalProcessingTime,omitempty"`
	IsPkChunkingSupported  *bool       `json:"isPkChunkingSupported,omitempty"`
	ErrorMessage           string      `json:"errorMessage,omitempty"`
}

// jobJSON renders j; full adds the counters of the job info resource.
func (s *restService) jobJSON(j *bulkJob, full bool) bulkJobJSON {
	state, modstamp, rows := j.snapshot()
	out := bulkJobJSON{
		ID: j.id, Operation: j.operation, Object: j.query.object.Name, CreatedByID: s.org.UserID(),
		CreatedDate: j.created.UTC().Format(salesforceDateTime), SystemModstamp: modstamp.UTC().Format(salesforceDateTime),
		State: state, ConcurrencyMode: "Parallel", ContentType: "CSV",
		APIVersion: json.Number(strings.TrimPrefix(j.version, "v")), LineEnding: j.ending, ColumnDelimiter: j.delimiter,
	}
	if !full {
		return out
	}
	processed, retries := len(rows), 0
	var took int64
	switch state {
	case bulkJobComplete, bulkFailed:
		took = j.done.Sub(j.started).Milliseconds()
	case bulkInProgress, bulkAborted:
		took = max(modstamp.Sub(j.started).Milliseconds(), 0)
	}
	chunking := pkChunkingSupported(j.query.object)
	out.JobType = "V2Query"
	out.NumberRecordsProcessed, out.Retries, out.TotalProcessingTime, out.IsPkChunkingSupported = &processed, &retries, &took, &chunking
	if state == bulkFailed {
		out.ErrorMessage = j.failMsg
	}
	return out
}

// pkChunkingSupported: custom objects and the standard objects the PK
// chunking documentation lists (reference bulk-api-2 §2).
func pkChunkingSupported(obj Object) bool {
	switch obj.Name {
	case "Account", "Case", "CaseComment", "Contact", "Task":
		return true
	}
	return obj.Custom
}

// bulkCreate serves POST …/jobs/query.
func (s *restService) bulkCreate(w http.ResponseWriter, r *http.Request, version string) {
	req, err := decodeBulkJobRequest(http.MaxBytesReader(w, r.Body, maxBulkRequestBytes))
	if err != nil {
		writeBulkRequestError(w, err)
		return
	}
	q, err := s.bindBulkQuery(req.Query)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	j, err := s.bulk.create(q, req.Operation, version, req.ColumnDelimiter, req.LineEnding)
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "LIMIT_EXCEEDED", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.jobJSON(j, false))
}

// bulkJobFor answers 404 and returns false when the job does not exist.
func (s *restService) bulkJobFor(w http.ResponseWriter, r *http.Request) (*bulkJob, bool) {
	j, ok := s.bulk.get(r.PathValue("id"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
	}
	return j, ok
}

// bulkInfo serves GET …/jobs/query/{id}.
func (s *restService) bulkInfo(w http.ResponseWriter, r *http.Request, _ string) {
	if j, ok := s.bulkJobFor(w, r); ok {
		writeJSON(w, http.StatusOK, s.jobJSON(j, true))
	}
}

// bulkAbort serves PATCH …/jobs/query/{id} with {"state":"Aborted"}.
func (s *restService) bulkAbort(w http.ResponseWriter, r *http.Request, _ string) {
	j, ok := s.bulkJobFor(w, r)
	if !ok {
		return
	}
	var body struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBulkRequestBytes)).Decode(&body); err != nil {
		writeRESTError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "The request body is not a JSON object with a state")
		return
	}
	if body.State != bulkAborted {
		writeRESTError(w, http.StatusBadRequest, "API_ERROR", "A query job's state can only be changed to Aborted")
		return
	}
	if !s.bulk.abort(j) {
		state, _, _ := j.snapshot()
		writeRESTError(w, http.StatusBadRequest, "API_ERROR", "Job is already in a final state ("+state+") and cannot be aborted")
		return
	}
	writeJSON(w, http.StatusOK, s.jobJSON(j, false))
}

// bulkDelete serves DELETE …/jobs/query/{id}.
func (s *restService) bulkDelete(w http.ResponseWriter, r *http.Request, _ string) {
	j, ok := s.bulkJobFor(w, r)
	if !ok {
		return
	}
	if state, _, _ := j.snapshot(); !terminalBulkState(state) {
		writeRESTError(w, http.StatusBadRequest, "API_ERROR", "Cannot delete job "+j.id+": the job is not terminated")
		return
	}
	s.bulk.remove(j.id)
	w.WriteHeader(http.StatusNoContent)
}

// bulkList serves GET …/jobs/query: every job on one page, in no
// particular order, as the resource promises.
func (s *restService) bulkList(w http.ResponseWriter, _ *http.Request, _ string) {
	records := []bulkJobJSON{}
	for _, j := range s.bulk.list() {
		records = append(records, s.jobJSON(j, true))
	}
	writeJSON(w, http.StatusOK, struct {
		Done    bool          `json:"done"`
		Records []bulkJobJSON `json:"records"`
	}{true, records})
}
