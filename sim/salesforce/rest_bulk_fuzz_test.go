package salesforce

import (
	"strings"
	"testing"
	"time"
)

// FuzzBulkJobRequest feeds arbitrary bytes to the job-create decoder and
// the Bulk SOQL checks: they must never panic, and a body they accept must
// name a known operation, delimiter and line ending and a statement the
// org can run.
func FuzzBulkJobRequest(f *testing.F) {
	for _, s := range []string{
		`{"operation":"query","query":"SELECT Id FROM Case"}`,
		`{"operation":"queryAll","query":"SELECT Id, Parent.Subject FROM EmailMessage WHERE Subject = 'OFFSET'","columnDelimiter":"TAB","lineEnding":"CRLF","contentType":"CSV"}`,
		`{"operation":"query","query":"SELECT Id, (SELECT Id FROM EmailMessages) FROM Case"}`,
		`{"operation":"query","query":"SELECT COUNT() FROM Case GROUP BY Status"} {}`,
		`{"operation":1}`,
		``,
	} {
		f.Add([]byte(s))
	}
	clock := &restTestClock{now: time.Now()}
	org, err := NewOrg(Config{Seed: 1}, clock, NewBus(clock, 0))
	if err != nil {
		f.Fatal(err)
	}
	svc := &restService{org: org}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeBulkJobRequest(strings.NewReader(string(body)))
		if err != nil {
			return
		}
		if req.Operation != "query" && req.Operation != "queryAll" || req.ContentType != "CSV" ||
			(req.LineEnding != "LF" && req.LineEnding != "CRLF") || bulkDelimiters[req.ColumnDelimiter] == 0 {
			t.Fatalf("accepted %+v", req)
		}
		q, err := svc.bindBulkQuery(req.Query)
		if err != nil {
			return
		}
		if q.q.count || q.q.offset != 0 {
			t.Fatalf("accepted an unsupported statement: %q", req.Query)
		}
		org.runQuery(q, req.Operation == "queryAll")
	})
}
