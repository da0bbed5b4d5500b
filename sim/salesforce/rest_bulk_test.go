package salesforce

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bulkTestConfig: one second queued, ten seconds plus one per row running.
var bulkTestConfig = BulkConfig{QueueTime: time.Second, BaseTime: 10 * time.Second, PerRecordTime: time.Second}

// bulkOrgConfig adds custom fields of every CSV-relevant type to Case.
var bulkOrgConfig = Config{Seed: 21, CustomFields: []CustomField{
	{Object: "Case", FieldSpec: FieldSpec{Name: "Score__c", Type: TypeDouble}},
	{Object: "Case", FieldSpec: FieldSpec{Name: "Visits__c", Type: TypeInt}},
	{Object: "Case", FieldSpec: FieldSpec{Name: "Due__c", Type: TypeDate}},
	{Object: "Case", FieldSpec: FieldSpec{Name: "Notes__c", Type: TypeTextArea}},
	{Object: "Case", FieldSpec: FieldSpec{Name: "Summary__c", Type: TypeTextArea}},
}}

func startBulkHarness(t *testing.T, bulk BulkConfig) *restHarness {
	t.Helper()
	return startRESTHarnessWith(t, bulkOrgConfig, RESTConfig{Bulk: bulk})
}

// createCases creates n cases with subjects "case 0" … in one transaction.
func (h *restHarness) createCases(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	_, err := h.sim.Org.Transaction(func(tx *Tx) error {
		for i := range n {
			id, err := tx.Create("Case", Values{"Subject": "case " + strconv.Itoa(i)})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// createJob posts a job body with the given API version.
func (h *restHarness) createJob(t *testing.T, version string, body map[string]string) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	return h.call(t, "POST", "/services/data/"+version+"/jobs/query", h.sim.AccessToken, bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}})
}

// startJob creates a query job on v62.0 and returns its ID.
func (h *restHarness) startJob(t *testing.T, body map[string]string) string {
	t.Helper()
	a := h.createJob(t, "v62.0", body)
	var job bulkJobJSON
	a.json(t, &job)
	if a.status != 200 || job.ID == "" {
		t.Fatalf("create job: %d %s", a.status, a.body)
	}
	return job.ID
}

func (h *restHarness) jobInfo(t *testing.T, id string) bulkJobJSON {
	t.Helper()
	a := h.call(t, "GET", "/services/data/v62.0/jobs/query/"+id, h.sim.AccessToken, nil, nil)
	if a.status != 200 {
		t.Fatalf("job info: %d %s", a.status, a.body)
	}
	var job bulkJobJSON
	a.json(t, &job)
	return job
}

func (h *restHarness) results(t *testing.T, id, query string) answer {
	t.Helper()
	return h.call(t, "GET", "/services/data/v62.0/jobs/query/"+id+"/results"+query, h.sim.AccessToken, nil, nil)
}

// parsePage parses one results page on its own, as clients must.
func parsePage(t *testing.T, body []byte, comma rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = comma
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("page is not CSV: %v\n%s", err, body)
	}
	return rows
}

func errorCode(t *testing.T, a answer) string {
	t.Helper()
	var errs []restError
	if err := json.Unmarshal(a.body, &errs); err != nil || len(errs) != 1 {
		t.Fatalf("answer %d is not one REST error: %s", a.status, a.body)
	}
	return errs[0].ErrorCode
}

func TestABulkQueryJobGoesFromUploadCompleteThroughInProgressToJobComplete(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 3)
	a := h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id, Subject FROM Case"})
	var created map[string]any
	a.json(t, &created)
	if a.status != 200 || created["state"] != "UploadComplete" || created["object"] != "Case" || created["operation"] != "query" ||
		created["contentType"] != "CSV" || created["columnDelimiter"] != "COMMA" || created["lineEnding"] != "LF" ||
		created["concurrencyMode"] != "Parallel" || !strings.HasPrefix(created["id"].(string), "750") || created["createdById"] != h.sim.Org.UserID() {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	if !bytes.Contains(a.body, []byte(`"apiVersion":62.0`)) || !bytes.Contains(a.body, []byte(`"createdDate":"2026-11-01T09:00:00.000+0000"`)) {
		t.Fatalf("create: apiVersion or createdDate not as Salesforce writes them: %s", a.body)
	}
	id := created["id"].(string)
	if job := h.jobInfo(t, id); job.State != "UploadComplete" || job.JobType != "V2Query" || *job.NumberRecordsProcessed != 0 {
		t.Fatalf("queued: %+v", job)
	}
	h.clock.Advance(time.Second)
	if job := h.jobInfo(t, id); job.State != "InProgress" {
		t.Fatalf("after the queue time: %s", job.State)
	}
	h.clock.Advance(12 * time.Second) // 10 s + 3 rows × 1 s ends at 13 s
	if job := h.jobInfo(t, id); job.State != "InProgress" {
		t.Fatalf("a second before the end: %s", job.State)
	}
	h.clock.Advance(time.Second)
	job := h.jobInfo(t, id)
	if job.State != "JobComplete" || *job.NumberRecordsProcessed != 3 || *job.TotalProcessingTime != 13000 || *job.Retries != 0 ||
		job.SystemModstamp != "2026-11-01T09:00:14.000+0000" || !*job.IsPkChunkingSupported || job.ErrorMessage != "" {
		t.Fatalf("complete: %+v", job)
	}
	rows := parsePage(t, h.results(t, id, "").body, ',')
	if len(rows) != 4 || rows[0][0] != "Id" || rows[0][1] != "Subject" || rows[1][1] != "case 0" {
		t.Fatalf("results: %q", rows)
	}
}

// finishJob creates a job and moves the clock past its completion.
func (h *restHarness) finishJob(t *testing.T, body map[string]string) string {
	t.Helper()
	id := h.startJob(t, body)
	h.clock.Advance(24 * time.Hour)
	if job := h.jobInfo(t, id); job.State != "JobComplete" {
		t.Fatalf("job %s: %s %s", id, job.State, job.ErrorMessage)
	}
	return id
}

func TestBulkResultsPageByLocatorWithAHeaderRowOnEveryPageAndNullAfterTheLast(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, BulkConfig{DefaultMaxRecords: 4})
	h.createCases(t, 10)
	id := h.finishJob(t, map[string]string{"operation": "query", "query": "SELECT Subject FROM Case"})
	var subjects []string
	var counts []string
	locator := ""
	for pages := 0; locator != "null"; pages++ {
		if pages > 3 {
			t.Fatal("the locator never became null")
		}
		q := ""
		if locator != "" {
			q = "?locator=" + locator
		}
		a := h.results(t, id, q)
		if a.status != 200 || a.header.Get("Content-Type") != "text/csv; charset=UTF-8" {
			t.Fatalf("page %d: %d %q %s", pages, a.status, a.header.Get("Content-Type"), a.body)
		}
		rows := parsePage(t, a.body, ',')
		if rows[0][0] != "Subject" {
			t.Fatalf("page %d has no header row: %q", pages, rows)
		}
		for _, r := range rows[1:] {
			subjects = append(subjects, r[0])
		}
		counts = append(counts, a.header.Get("Sforce-NumberOfRecords"))
		locator = a.header.Get("Sforce-Locator")
		if locator == "" {
			t.Fatalf("page %d has no Sforce-Locator", pages)
		}
	}
	if strings.Join(counts, ",") != "4,4,2" || len(subjects) != 10 || subjects[0] != "case 0" || subjects[9] != "case 9" {
		t.Fatalf("counts %v, subjects %q", counts, subjects)
	}
	// maxRecords sets the page size; a locator returns the same page every time.
	first := h.results(t, id, "?maxRecords=3")
	next := first.header.Get("Sforce-Locator")
	if first.header.Get("Sforce-NumberOfRecords") != "3" || next != "Mw" { // base64("3")
		t.Fatalf("maxRecords=3: %s records, locator %q", first.header.Get("Sforce-NumberOfRecords"), next)
	}
	again1, again2 := h.results(t, id, "?maxRecords=3&locator="+next), h.results(t, id, "?maxRecords=3&locator="+next)
	if !bytes.Equal(again1.body, again2.body) || parsePage(t, again1.body, ',')[1][0] != "case 3" {
		t.Fatalf("the same locator gave different pages:\n%s\n%s", again1.body, again2.body)
	}
	for _, bad := range []string{"?locator=notalocator", "?locator=" + encodeBulkLocator(11), "?maxRecords=0", "?maxRecords=x"} {
		if a := h.results(t, id, bad); a.status != 400 {
			t.Fatalf("%s: %d %s", bad, a.status, a.body)
		}
	}
}

func TestBulkCSVQuotesEveryValueKeepsLineBreaksInsideValuesAndWritesNullAsEmpty(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	due := time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
	c1, err := h.sim.Org.Create("Case", Values{"Subject": `He said "hi"`, "Notes__c": "line one\r\nline two\nline three", "Score__c": 23.0,
		"Visits__c": 7, "Due__c": due, "IsEscalated": true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.Org.Create("Case", Values{"Subject": "", "Score__c": 2.5}); err != nil {
		t.Fatal(err)
	}
	id := h.finishJob(t, map[string]string{"operation": "query",
		"query": "SELECT Id, Subject, Notes__c, Score__c, Visits__c, Due__c, IsEscalated, CreatedDate, Parent.Subject, Summary__c FROM Case"})
	a := h.results(t, id, "")
	if !bytes.Contains(a.body, []byte("\"line one\r\nline two\nline three\"")) || !bytes.Contains(a.body, []byte(`"He said ""hi"""`)) ||
		!bytes.HasPrefix(a.body, []byte(`"Id","Subject","Notes__c","Score__c"`)) || bytes.Contains(a.body, []byte(`,,`)) {
		t.Fatalf("raw CSV does not quote every value as it is:\n%q", a.body)
	}
	rows := parsePage(t, a.body, ',')
	created := h.sim.Org.Clock().Now().Add(-24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	want := [][]string{
		{c1, `He said "hi"`, "line one\nline two\nline three", "23.0", "7", "2026-12-24", "true", created, "", ""},
		{rows[2][0], "", "", "2.5", "", "", "false", created, "", ""},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], "|") != strings.Join(w, "|") {
			t.Fatalf("row %d:\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}
	if _, err := time.Parse(time.RFC3339, rows[1][7]); err != nil {
		t.Fatalf("CreatedDate %q does not parse: %v", rows[1][7], err)
	}
}

func TestBulkJobsHonourTheColumnDelimiterLineEndingAndGzip(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 2)
	id := h.finishJob(t, map[string]string{"operation": "query", "query": "SELECT Subject, Id FROM Case", "columnDelimiter": "PIPE", "lineEnding": "CRLF"})
	if job := h.jobInfo(t, id); job.ColumnDelimiter != "PIPE" || job.LineEnding != "CRLF" {
		t.Fatalf("job: %+v", job)
	}
	a := h.call(t, "GET", "/services/data/v62.0/jobs/query/"+id+"/results", h.sim.AccessToken, nil, http.Header{"Accept-Encoding": {"gzip"}})
	if a.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", a.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte("\"Subject\"|\"Id\"\r\n\"case 0\"|")) || bytes.Count(body, []byte("\r\n")) != 3 {
		t.Fatalf("body: %q", body)
	}
	if rows := parsePage(t, body, '|'); len(rows) != 3 || rows[2][0] != "case 1" {
		t.Fatalf("rows: %q", rows)
	}
}

func TestColumnsComeInSelectOrderFromV50AndAlphabeticallyBefore(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 1)
	for version, want := range map[string]string{"v50.0": "Subject,Id,CaseNumber", "v49.0": "CaseNumber,Id,Subject"} {
		a := h.createJob(t, version, map[string]string{"operation": "query", "query": "SELECT Subject, Id, CaseNumber FROM Case"})
		var job bulkJobJSON
		a.json(t, &job)
		h.clock.Advance(time.Hour)
		page := h.call(t, "GET", "/services/data/"+version+"/jobs/query/"+job.ID+"/results", h.sim.AccessToken, nil, nil)
		if rows := parsePage(t, page.body, ','); strings.Join(rows[0], ",") != want {
			t.Fatalf("%s: header %q, want %s", version, rows[0], want)
		}
	}
}

func TestTheResultIsTheSnapshotWhenTheJobCompletesAndQueryAllAddsDeletedRows(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	ids := h.createCases(t, 3)
	id := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id, Subject FROM Case"})
	all := h.startJob(t, map[string]string{"operation": "queryAll", "query": "SELECT Id, IsDeleted FROM Case"})
	if err := h.sim.Org.Update(ids[0], Values{"Subject": "changed while running"}); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.Org.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	h.jobInfo(t, id) // completes: the snapshot is taken
	h.jobInfo(t, all)
	if err := h.sim.Org.Update(ids[2], Values{"Subject": "changed after completion"}); err != nil {
		t.Fatal(err)
	}
	rows := parsePage(t, h.results(t, id, "").body, ',')
	if len(rows) != 3 || rows[1][1] != "changed while running" || rows[2][1] != "case 2" {
		t.Fatalf("query rows: %q", rows)
	}
	if job := h.jobInfo(t, id); *job.NumberRecordsProcessed != 2 {
		t.Fatalf("numberRecordsProcessed %d, want 2", *job.NumberRecordsProcessed)
	}
	rows = parsePage(t, h.results(t, all, "").body, ',')
	if len(rows) != 4 || rows[2][0] != ids[1] || rows[2][1] != "true" {
		t.Fatalf("queryAll rows: %q", rows)
	}
}

func TestAQueuedOrRunningJobCanBeAbortedAndOnlyAFinishedJobDeleted(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 2)
	abort := func(id string) answer {
		return h.call(t, "PATCH", "/services/data/v62.0/jobs/query/"+id, h.sim.AccessToken, strings.NewReader(`{"state":"Aborted"}`), http.Header{"Content-Type": {"application/json"}})
	}
	del := func(id string) answer {
		return h.call(t, "DELETE", "/services/data/v62.0/jobs/query/"+id, h.sim.AccessToken, nil, nil)
	}
	queued := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	if a := del(queued); a.status != 400 || errorCode(t, a) != "API_ERROR" || !strings.Contains(string(a.body), "not terminated") {
		t.Fatalf("delete while queued: %d %s", a.status, a.body)
	}
	a := abort(queued)
	var job bulkJobJSON
	a.json(t, &job)
	if a.status != 200 || job.State != "Aborted" {
		t.Fatalf("abort queued: %d %s", a.status, a.body)
	}
	h.clock.Advance(time.Hour)
	if job := h.jobInfo(t, queued); job.State != "Aborted" {
		t.Fatalf("an aborted job went on to %s", job.State)
	}
	if a := h.results(t, queued, ""); a.status != 412 || errorCode(t, a) != "JOB_NOT_COMPLETE" || !strings.Contains(string(a.body), "ABORTED") {
		t.Fatalf("results of an aborted job: %d %s", a.status, a.body)
	}
	running := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.clock.Advance(2 * time.Second)
	if a := abort(running); a.status != 200 {
		t.Fatalf("abort running: %d %s", a.status, a.body)
	}
	if a := abort(running); a.status != 400 || errorCode(t, a) != "API_ERROR" {
		t.Fatalf("abort twice: %d %s", a.status, a.body)
	}
	if a := h.call(t, "PATCH", "/services/data/v62.0/jobs/query/"+running, h.sim.AccessToken, strings.NewReader(`{"state":"JobComplete"}`), nil); a.status != 400 {
		t.Fatalf("PATCH to JobComplete: %d %s", a.status, a.body)
	}
	done := h.finishJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	for _, id := range []string{queued, done} {
		if a := del(id); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("delete %s: %d %s", id, a.status, a.body)
		}
		if a := h.results(t, id, ""); a.status != 404 || errorCode(t, a) != "NOT_FOUND" {
			t.Fatalf("results after delete: %d %s", a.status, a.body)
		}
	}
}

func TestBulkRefusesWhatItDoesNotSupportWithTheDocumentedErrors(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	for _, c := range []struct {
		name, body, code string
		status           int
	}{
		{"count", `{"operation":"query","query":"SELECT COUNT() FROM Case"}`, "API_ERROR", 400},
		{"aggregate", `{"operation":"query","query":"SELECT MAX(CreatedDate) FROM Case"}`, "API_ERROR", 400},
		{"group by", `{"operation":"query","query":"SELECT Status FROM Case GROUP BY Status"}`, "API_ERROR", 400},
		{"offset", `{"operation":"query","query":"SELECT Id FROM Case LIMIT 5 OFFSET 10"}`, "API_ERROR", 400},
		{"typeof", `{"operation":"query","query":"SELECT TYPEOF What WHEN Case THEN Subject END FROM Task"}`, "API_ERROR", 400},
		{"fields()", `{"operation":"query","query":"SELECT FIELDS(ALL) FROM Case LIMIT 200"}`, "API_ERROR", 400},
		{"subquery", `{"operation":"query","query":"SELECT Id, (SELECT Id FROM EmailMessages) FROM Case"}`, "API_ERROR", 400},
		{"compound", `{"operation":"query","query":"SELECT Id, BillingAddress FROM Account"}`, "API_ERROR", 400},
		{"malformed", `{"operation":"query","query":"SELECT FROM Case"}`, "MALFORMED_QUERY", 400},
		{"no such field", `{"operation":"query","query":"SELECT Nope FROM Case"}`, "INVALID_FIELD", 400},
		{"no such object", `{"operation":"query","query":"SELECT Id FROM Nope"}`, "INVALID_TYPE", 400},
		{"no operation", `{"query":"SELECT Id FROM Case"}`, "API_ERROR", 400},
		{"bad operation", `{"operation":"insert","query":"SELECT Id FROM Case"}`, "JSON_PARSER_ERROR", 400},
		{"no query", `{"operation":"query"}`, "API_ERROR", 400},
		{"bad delimiter", `{"operation":"query","query":"SELECT Id FROM Case","columnDelimiter":"COLON"}`, "JSON_PARSER_ERROR", 400},
		{"bad line ending", `{"operation":"query","query":"SELECT Id FROM Case","lineEnding":"CR"}`, "JSON_PARSER_ERROR", 400},
		{"bad content type", `{"operation":"query","query":"SELECT Id FROM Case","contentType":"JSON"}`, "JSON_PARSER_ERROR", 400},
		{"not JSON", `operation=query`, "JSON_PARSER_ERROR", 400},
	} {
		a := h.call(t, "POST", "/services/data/v62.0/jobs/query", h.sim.AccessToken, strings.NewReader(c.body), nil)
		if a.status != c.status || errorCode(t, a) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.body, c.status, c.code)
		}
	}
	a := h.call(t, "POST", "/services/data/v62.0/jobs/query", h.sim.AccessToken, strings.NewReader(`{"operation":"query","query":"SELECT Id, BillingAddress FROM Account"}`), nil)
	if !strings.Contains(string(a.body), "Selecting compound data not supported in Bulk Query") {
		t.Errorf("compound: %s", a.body)
	}
	// Components of a compound field and child-to-parent paths are fine.
	if a := h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id, BillingCity FROM Account"}); a.status != 200 {
		t.Errorf("address component: %d %s", a.status, a.body)
	}
	if a := h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id, Parent.Subject FROM EmailMessage WHERE Subject = 'OFFSET'"}); a.status != 200 {
		t.Errorf("parent path, OFFSET in a literal: %d %s", a.status, a.body)
	}
}

func TestBulkAnswersVersionAndJobErrorsAsDocumented(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 1)
	if a := h.createJob(t, "v46.0", map[string]string{"operation": "query", "query": "SELECT Id FROM Case"}); a.status != 404 || errorCode(t, a) != "NOT_FOUND" {
		t.Fatalf("v46.0: %d %s", a.status, a.body)
	}
	if a := h.call(t, "GET", "/services/data/v62.0/jobs/query/750000000000000AAA", h.sim.AccessToken, nil, nil); a.status != 404 || errorCode(t, a) != "NOT_FOUND" {
		t.Fatalf("unknown job: %d %s", a.status, a.body)
	}
	id := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	if a := h.results(t, id, ""); a.status != 412 || errorCode(t, a) != "JOB_NOT_COMPLETE" || !strings.Contains(string(a.body), "UPLOAD_COMPLETE") {
		t.Fatalf("results while queued: %d %s", a.status, a.body)
	}
	h.clock.Advance(time.Hour)
	if a := h.call(t, "GET", "/services/data/v61.0/jobs/query/"+id+"/results", h.sim.AccessToken, nil, nil); a.status != 409 {
		t.Fatalf("results with another version: %d %s", a.status, a.body)
	}
	if a := h.call(t, "GET", "/services/data/v62.0/jobs/query/"+id, "", nil, nil); a.status != 401 {
		t.Fatalf("no session: %d", a.status)
	}
	var list struct {
		Done    bool          `json:"done"`
		Records []bulkJobJSON `json:"records"`
	}
	h.call(t, "GET", "/services/data/v62.0/jobs/query", h.sim.AccessToken, nil, nil).json(t, &list)
	if !list.Done || len(list.Records) != 1 || list.Records[0].ID != id || list.Records[0].State != "JobComplete" {
		t.Fatalf("list: %+v", list)
	}
}

func TestAFailedJobFaultEndsTheNextJobsFailedWithOrWithoutAMessage(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 1)
	h.sim.REST.FailNextBulkJobs(2, "Retried more than 15 times")
	with := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.sim.REST.FailNextBulkJobs(1, "")
	without := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	fine := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.clock.Advance(time.Hour)
	if job := h.jobInfo(t, with); job.State != "Failed" || job.ErrorMessage != "Retried more than 15 times" {
		t.Fatalf("with a message: %+v", job)
	}
	a := h.call(t, "GET", "/services/data/v62.0/jobs/query/"+without, h.sim.AccessToken, nil, nil)
	if bytes.Contains(a.body, []byte("errorMessage")) || !bytes.Contains(a.body, []byte(`"state":"Failed"`)) {
		t.Fatalf("without a message: %s", a.body)
	}
	if a := h.results(t, without, ""); a.status != 412 || !strings.Contains(string(a.body), "FAILED") {
		t.Fatalf("results of a failed job: %d %s", a.status, a.body)
	}
	if job := h.jobInfo(t, fine); job.State != "JobComplete" {
		t.Fatalf("the fault outlived its count: %s", job.State)
	}
}

func TestFinishedJobsAndTheirResultsExpireAfterSevenDaysOrOnDemand(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, bulkTestConfig)
	h.createCases(t, 1)
	id := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.clock.Advance(15 * time.Second) // complete at 12 s
	h.jobInfo(t, id)
	h.clock.Advance(7*24*time.Hour - 4*time.Second)
	if a := h.results(t, id, ""); a.status != 200 {
		t.Fatalf("a second before seven days: %d %s", a.status, a.body)
	}
	h.clock.Advance(time.Second)
	if a := h.results(t, id, ""); a.status != 404 || errorCode(t, a) != "NOT_FOUND" {
		t.Fatalf("after seven days: %d %s", a.status, a.body)
	}
	other := h.finishJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.sim.REST.ExpireBulkJobs()
	if a := h.results(t, other, ""); a.status != 404 {
		t.Fatalf("after ExpireBulkJobs: %d %s", a.status, a.body)
	}
}

func TestTheDailyJobAndResultVolumeAllocationsRefuseNewJobs(t *testing.T) {
	t.Parallel()
	h := startBulkHarness(t, BulkConfig{DailyJobs: 2, DailyResultKB: 2})
	h.createCases(t, 100) // each row is over 20 bytes: 100 rows pass 2 KB
	h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case LIMIT 1"})
	h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case LIMIT 1"})
	a := h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	if a.status != 400 || errorCode(t, a) != "LIMIT_EXCEEDED" || !strings.Contains(string(a.body), "Max bulk v2 query jobs (2) per 24 hrs has been reached") {
		t.Fatalf("third job: %d %s", a.status, a.body)
	}
	h.clock.Advance(24*time.Hour + time.Second)
	big := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id, Subject FROM Case"})
	h.clock.Advance(time.Hour)
	h.jobInfo(t, big)
	if jobs, kb := h.sim.REST.BulkUsage(); jobs != 1 || kb < 3 {
		t.Fatalf("usage: %d jobs, %d KB", jobs, kb)
	}
	a = h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	if a.status != 400 || errorCode(t, a) != "LIMIT_EXCEEDED" || !strings.Contains(string(a.body), "Max bulk v2 query result size stored (2) kb per 24 hrs has been exceeded") {
		t.Fatalf("over the volume: %d %s", a.status, a.body)
	}
}

func TestEveryBulkRequestCountsTowardTheDailyAPIBudget(t *testing.T) {
	t.Parallel()
	h := startRESTHarnessWith(t, bulkOrgConfig, RESTConfig{Bulk: bulkTestConfig, DailyAPILimit: 5})
	h.createCases(t, 3)
	id := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"}) // 1
	h.jobInfo(t, id)                                                                             // 2
	h.clock.Advance(time.Minute)
	a := h.results(t, id, "?maxRecords=2") // 3
	if a.header.Get("Sforce-Limit-Info") != "api-usage=3/5" {
		t.Fatalf("after three calls: %q", a.header.Get("Sforce-Limit-Info"))
	}
	h.results(t, id, "?maxRecords=2&locator="+a.header.Get("Sforce-Locator"))               // 4
	h.call(t, "DELETE", "/services/data/v62.0/jobs/query/"+id, h.sim.AccessToken, nil, nil) // 5
	if used, _ := h.sim.REST.APIUsage(); used != 5 {
		t.Fatalf("used %d, want 5", used)
	}
	if a := h.createJob(t, "v62.0", map[string]string{"operation": "query", "query": "SELECT Id FROM Case"}); a.status != 403 || errorCode(t, a) != "REQUEST_LIMIT_EXCEEDED" {
		t.Fatalf("over the budget: %d %s", a.status, a.body)
	}
}

// A results page is written row by row from the job's snapshot: fetching
// a 30 MB page allocates a small fraction of it. (The org stores one
// shared 100 KB body, so only rendering the page whole could allocate
// its size.)
func TestAResultsPageIsStreamedNotRenderedWholeInMemory(t *testing.T) {
	h := startBulkHarness(t, bulkTestConfig)
	body := strings.Repeat("A long email body line.\r\n", 4096) // 100 KB
	_, err := h.sim.Org.Transaction(func(tx *Tx) error {
		for range 300 {
			if _, err := tx.Create("EmailMessage", Values{"Subject": "big", "TextBody": body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	id := h.finishJob(t, map[string]string{"operation": "query", "query": "SELECT Id, TextBody FROM EmailMessage"})
	req, err := http.NewRequest("GET", h.sim.InstanceURL+"/services/data/v62.0/jobs/query/"+id+"/results", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.sim.AccessToken)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n < 30_000_000 || resp.Header.Get("Sforce-NumberOfRecords") != "300" {
		t.Fatalf("page: %d bytes, %v, %s records", n, err, resp.Header.Get("Sforce-NumberOfRecords"))
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(n)/5 {
		t.Fatalf("fetching a %d MB page allocated %d MB", n>>20, allocated>>20)
	}
}

func TestLimitsReportTheAPIAndBulkAllocationsLeft(t *testing.T) {
	t.Parallel()
	h := startRESTHarnessWith(t, bulkOrgConfig, RESTConfig{Bulk: BulkConfig{DailyJobs: 5, DailyResultKB: 3000}, DailyAPILimit: 100})
	h.createCases(t, 1)
	id := h.startJob(t, map[string]string{"operation": "query", "query": "SELECT Id FROM Case"})
	h.clock.Advance(time.Minute)
	h.jobInfo(t, id) // completes: two calls so far
	var limits map[string]struct{ Max, Remaining int64 }
	a := h.call(t, "GET", "/services/data/v62.0/limits/", h.sim.AccessToken, nil, nil) // the third
	a.json(t, &limits)
	api, jobs, storage := limits["DailyApiRequests"], limits["DailyBulkV2QueryJobs"], limits["DailyBulkV2QueryFileStorageMB"]
	if a.status != 200 || api.Max != 100 || api.Remaining != 97 || jobs.Max != 5 || jobs.Remaining != 4 || storage.Max != 3 || storage.Remaining != 2 {
		t.Fatalf("limits: %d %s", a.status, a.body)
	}
}
