package salesforce_test

import (
	"encoding/json"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

func TestPagingOverTenThousandRecordsFollowsNextRecordsURLInOrder(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	want := createCases(t, s, 10_500)
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	for _, tc := range []struct {
		name      string
		batch     int
		wantCalls int64
	}{
		{"default batches of 2,000 take six calls", 0, 6},
		{"batches of 200 take fifty-three calls", 200, 53},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Usage().Calls
			var got []string
			pages := 0
			for p, err := range c.QueryPages(t.Context(), "SELECT Id, Subject FROM Case ORDER BY Id", salesforce.QueryOptions{BatchSize: tc.batch}) {
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if p.TotalSize != len(want) {
					t.Fatalf("totalSize %d", p.TotalSize)
				}
				for _, r := range p.Records {
					got = append(got, r.ID())
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d IDs, want the %d created, in order", len(got), len(want))
			}
			if calls := c.Usage().Calls - before; calls != tc.wantCalls || int64(pages) != tc.wantCalls {
				t.Fatalf("%d calls for %d pages, want %d", calls, pages, tc.wantCalls)
			}
		})
	}
	if u := c.Usage(); !u.Known || u.Used != 59 || u.Limit != sfsim.DefaultDailyAPILimit {
		t.Fatalf("usage %+v, want 59 of %d as Sforce-Limit-Info reports", u, sfsim.DefaultDailyAPILimit)
	}
}

func TestQueryAllIncludesSoftDeletedRowsAndQueryDoesNot(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	ids := createCases(t, s, 3)
	if err := s.Org.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	collect := func(all bool) map[string]bool {
		out := map[string]bool{}
		for r, err := range c.Query(t.Context(), "SELECT Id, IsDeleted FROM Case", salesforce.QueryOptions{IncludeDeleted: all}) {
			if err != nil {
				t.Fatal(err)
			}
			out[r.ID()] = r["IsDeleted"].(bool)
		}
		return out
	}
	if q := collect(false); len(q) != 2 || q[ids[1]] {
		t.Fatalf("query returned %v", q)
	}
	if qa := collect(true); len(qa) != 3 || !qa[ids[1]] {
		t.Fatalf("queryAll returned %v", qa)
	}
}

func TestRecordsNestRelationshipsAndParseDateTimes(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	caseID := createCases(t, s, 1)[0]
	emailID, err := s.Org.Create("EmailMessage", sfsim.Values{"Subject": "Re: printer", "TextBody": "Still on fire.", "ParentId": caseID})
	if err != nil {
		t.Fatal(err)
	}
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	var got []salesforce.Record
	soql := "SELECT Id, Subject, Parent.CaseNumber, SystemModstamp FROM EmailMessage WHERE ParentId = '" + caseID + "' AND SystemModstamp > 2000-01-01T00:00:00Z"
	for r, err := range c.Query(t.Context(), soql, salesforce.QueryOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 1 || got[0].ID() != emailID || got[0].Type() != "EmailMessage" {
		t.Fatalf("records %v", got)
	}
	parent, ok := got[0]["Parent"].(map[string]any)
	if !ok || parent["CaseNumber"] != "00001001" || parent["attributes"].(map[string]any)["type"] != "Case" {
		t.Fatalf("Parent is %#v, want a nested Case with CaseNumber", got[0]["Parent"])
	}
	rec, _ := s.Org.Get(emailID)
	if ts, ok := got[0]["SystemModstamp"].(time.Time); !ok || !ts.Equal(rec.SystemModstamp()) {
		t.Fatalf("SystemModstamp is %#v, want the time %v", got[0]["SystemModstamp"], rec.SystemModstamp())
	}
}

func TestCollectionsRetrieveOfFiveThousandIDsTakesThreeCallsAndKeepsPositions(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	ids := createCases(t, s, 4_998)
	if err := s.Org.Delete(ids[10]); err != nil {
		t.Fatal(err)
	}
	ask := append(slices.Clone(ids), "5005Y000000ZZZZQAA", "00a5Y0000000001QAA") // a missing case; a CaseComment ID
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	before := c.Usage().Calls
	got, err := c.Retrieve(t.Context(), "Case", ask, []string{"Id", "Subject", "SystemModstamp"})
	if err != nil {
		t.Fatal(err)
	}
	if calls := c.Usage().Calls - before; calls != 3 {
		t.Fatalf("%d calls for 5,000 IDs, want 3", calls)
	}
	if len(got) != len(ask) {
		t.Fatalf("%d results for %d IDs", len(got), len(ask))
	}
	for i, r := range got {
		wantNil := i == 10 || i >= len(ids)
		if (r == nil) != wantNil || (r != nil && r.ID() != ask[i]) {
			t.Fatalf("position %d holds %v for ID %s", i, r, ask[i])
		}
	}
	if _, ok := got[0]["SystemModstamp"].(time.Time); !ok {
		t.Fatalf("SystemModstamp not parsed: %#v", got[0]["SystemModstamp"])
	}
}

func TestDescribeSaysWhichObjectsHaveAChangeEvent(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	for object, want := range map[string]bool{"Case": true, "EmailMessage": true, "CaseComment": false} {
		d, err := c.Describe(t.Context(), object)
		if err != nil {
			t.Fatal(err)
		}
		if d.HasChangeEvent != want {
			t.Fatalf("%s: HasChangeEvent %v, want %v", object, d.HasChangeEvent, want)
		}
		if f, ok := d.Field("SystemModstamp"); !ok || f.Type != "datetime" {
			t.Fatalf("%s: SystemModstamp described as %+v", object, f)
		}
	}
	d, _ := c.Describe(t.Context(), "EmailMessage")
	if f, _ := d.Field("ParentId"); f.RelationshipName != "Parent" || !slices.Equal(f.ReferenceTo, []string{"Case"}) {
		t.Fatalf("ParentId described as %+v", f)
	}
}

func TestEachErrorClassIsTyped(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{dailyLimit: 5})
	createCases(t, s, 1)
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	run := func(soql string) error {
		_, err := c.Count(t.Context(), soql)
		return err
	}
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"SOQL that does not parse is a malformed query", func() error { return run("SELECT Id FRM Case") }, salesforce.ErrMalformedQuery},
		{"an unknown column is an invalid field", func() error { return run("SELECT Nope__c FROM Case") }, salesforce.ErrInvalidField},
		{"an unknown object is not found", func() error { _, err := c.Describe(t.Context(), "Nope__c"); return err }, salesforce.ErrNotFound},
		{"a server error is a server error", func() error {
			s.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1})
			return run("SELECT COUNT() FROM Case")
		}, salesforce.ErrServerUnavailable},
		{"a spent daily allocation is the request limit", func() error {
			for {
				if err := run("SELECT COUNT() FROM Case"); err != nil {
					return err
				}
			}
		}, salesforce.ErrRequestLimitExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var apiErr *salesforce.APIError
			if !errors.Is(err, tc.want) || !errors.As(err, &apiErr) {
				t.Fatalf("got %v, want %v as an *APIError", err, tc.want)
			}
		})
	}
	if u := c.Usage(); u.Used != 5 || u.Limit != 5 || u.Remaining() != 0 {
		t.Fatalf("usage %+v after spending the allocation", u)
	}
}

func TestARejectedSessionThatCannotBeRefreshedIsAnInvalidSession(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	creds := salesforce.StaticSession{AccessToken: s.Tokens.Issue(), InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	c, err := salesforce.NewClient(salesforce.Config{CAFile: s.PubSub.CAFile()}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.Tokens.RevokeAll()
	_, err = c.Count(t.Context(), "SELECT COUNT() FROM Case")
	if !errors.Is(err, salesforce.ErrInvalidSession) || !errors.Is(err, salesforce.ErrCannotRefresh) {
		t.Fatalf("got %v, want ErrInvalidSession and the reason it could not be refreshed", err)
	}
}

func TestNumbersStayExact(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	if _, err := s.Org.Create("Task", sfsim.Values{"Subject": "Call", "CallDurationInSeconds": 2147483647}); err != nil {
		t.Fatal(err)
	}
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	for r, err := range c.Query(t.Context(), "SELECT CallDurationInSeconds FROM Task", salesforce.QueryOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := r["CallDurationInSeconds"].(json.Number); !ok || n.String() != "2147483647" {
			t.Fatalf("got %#v", r["CallDurationInSeconds"])
		}
	}
}

// TestTheOrgsRESTLatencyIsWaitedOutAndCallsSucceed: with the org's REST
// latency fault on, every answer is held back, and the client waits for
// each one and gets the whole result. That a paged query of three calls
// took at least three latencies is a fact about where the time went, not a
// performance bound. A client whose request_timeout is shorter than the
// latency gives up on the call with a timeout instead of waiting forever.
func TestTheOrgsRESTLatencyIsWaitedOutAndCallsSucceed(t *testing.T) {
	t.Parallel()
	const latency = 250 * time.Millisecond
	s := startSim(t, simOptions{})
	ids := createCases(t, s, 2*salesforce.MinQueryBatchSize+1)
	creds := clientCredentials(t, s, nil)
	c := restClient(t, s, creds, nil)
	if _, err := creds.Current(t.Context()); err != nil { // the session first, so only REST calls are timed
		t.Fatal(err)
	}
	s.RESTFaults.Set(sfsim.RESTFaultSettings{Latency: latency})

	before := c.Usage().Calls
	start := time.Now()
	n := countRecords(t, c.Query(t.Context(), "SELECT Id FROM Case", salesforce.QueryOptions{BatchSize: salesforce.MinQueryBatchSize}))
	elapsed := time.Since(start)
	calls := c.Usage().Calls - before
	if n != len(ids) || calls != 3 {
		t.Fatalf("%d records in %d calls, want %d in 3", n, calls, len(ids))
	}
	if elapsed < time.Duration(calls)*latency {
		t.Fatalf("%d calls took %v, less than %d × the injected %v: the latency was not applied", calls, elapsed, calls, latency)
	}
	t.Logf("%d calls under %v latency took %v", calls, latency, elapsed)

	impatient, err := salesforce.NewClient(salesforce.Config{CAFile: s.PubSub.CAFile(), RequestTimeout: latency / 5}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	_, err = impatient.Count(t.Context(), "SELECT COUNT() FROM Case")
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("a call slower than request_timeout gave %v, want a timeout", err)
	}
}
