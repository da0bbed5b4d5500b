package commsmining

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequestsWithoutTheRightTokenAreRefusedWithoutEchoingIt(t *testing.T) {
	s := startSim(t, Options{Token: "right-token"})
	c := newClient(t, s)
	c.token = "CANARY-wrong-token"
	r := c.sync(comment("a", "x"))
	wantError(t, r, 401, "API token")
	if strings.Contains(r.raw, "CANARY") {
		t.Errorf("the answer echoes the token: %s", r.raw)
	}
	c.token = ""
	wantError(t, c.do("GET", "/api/v1/sources", nil), 401, "API token")
	if s.Stats().Unauthorized != 2 {
		t.Errorf("unauthorized = %d", s.Stats().Unauthorized)
	}
}

func TestInjectedFaultsAreServedInOrderThenTheEndpointRecovers(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	s.InjectFault(Fault{Endpoint: EndpointSync, Status: 429, RetryAfter: "7"})
	s.InjectFault(Fault{Endpoint: EndpointSync, Status: 429})
	s.InjectFault(Fault{Endpoint: EndpointSync, Status: 503, Message: "maintenance", Times: 2})
	s.InjectFault(Fault{Endpoint: EndpointDelete, Status: 500}) // another endpoint: not consumed by sync

	r := c.sync(comment("a", "x"))
	wantError(t, r, 429, "Too Many Requests")
	if r.header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After = %q, want 7", r.header.Get("Retry-After"))
	}
	r = c.sync(comment("a", "x"))
	wantError(t, r, 429, "")
	if _, has := r.header["Retry-After"]; has {
		t.Error("a 429 without Retry-After carries the header")
	}
	wantError(t, c.sync(comment("a", "x")), 503, "maintenance")
	wantError(t, c.sync(comment("a", "x")), 503, "maintenance")
	wantOK(t, c.sync(comment("a", "x")), 1, 0, 0)
	if st := s.Stats(); st.FaultsServed != 4 || st.Requests[EndpointSync] != 5 {
		t.Errorf("stats = %+v", st)
	}
	wantError(t, c.do("DELETE", "/api/v1/sources/"+project+"/"+source+"/comments?id=a", nil), 500, "")
}

func TestASlowAnswerStillArrives(t *testing.T) {
	s := startSim(t, Options{})
	s.InjectFault(Fault{Endpoint: EndpointSync, Delay: 20 * time.Millisecond})
	wantOK(t, newClient(t, s).sync(comment("a", "x")), 1, 0, 0)
}

func TestAcceptThenTimeoutStoresTheCommentsButNeverAnswers(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	s.InjectFault(Fault{Endpoint: EndpointSync, AcceptThenTimeout: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/api/v1/sources/"+project+"/"+source+"/sync",
		strings.NewReader(`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d), want none", resp.StatusCode)
	}
	if _, ok := s.Comment(project, source, "a"); !ok {
		t.Fatal("the comment was not stored")
	}
	// The client's retry after the timeout is harmless: unchanged, not billed again.
	wantOK(t, c.sync(map[string]any{"id": "a", "timestamp": "2024-05-01T10:00:00Z", "messages": []any{map[string]any{"body": map[string]any{"text": "x"}}}}), 0, 0, 1)
	if u := s.Stats().BillableUnits; u != 1 {
		t.Errorf("billable units = %d, want 1", u)
	}
}

func TestCloseReleasesARequestHeldByAFault(t *testing.T) {
	s, err := Start(Options{Sources: []string{project + "/" + source}})
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(Fault{Endpoint: EndpointSync, AcceptThenTimeout: true})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL()+"/api/v1/sources/"+project+"/"+source+"/sync", strings.NewReader(`{"comments":[]}`))
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Stats().Requests[EndpointSync] == 0 {
		time.Sleep(time.Millisecond) // wait for the request to arrive, not for a duration
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("the held request got an answer")
	}
}

func TestDeleteRemovesCommentsAndAnswers404ForMissingOnes(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	wantOK(t, c.sync(comment("a", "x"), comment("b", "y"), comment("c", "z")))
	base := "/api/v1/sources/" + project + "/" + source + "/comments"
	wantOK(t, c.do("DELETE", base+"?id=a&id=b", nil))
	wantError(t, c.do("DELETE", base+"?id=c&id=gone", nil), 404, "1 of 2 comments not found")
	wantError(t, c.do("DELETE", base, nil), 400, "id")
	if n := len(s.Comments(project, source)); n != 0 || s.Stats().Deleted != 3 {
		t.Errorf("%d comments left, %d deleted", n, s.Stats().Deleted)
	}
}

func TestGetCommentAnswersTheStoredCommentWithItsUID(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	wantOK(t, c.sync(comment("sf.Case.1", "hello")))
	r := c.do("GET", "/api/v1/sources/"+project+"/"+source+"/comments/sf.Case.1", nil)
	wantOK(t, r)
	got := r.body["comment"].(map[string]any)
	src := s.CreateSource(project, source)
	if got["uid"] != src.ID+".sf.Case.1" || got["thread_id"] != "t1" || got["created_at"] == "" {
		t.Errorf("comment = %v", got)
	}
	msg := got["messages"].([]any)[0].(map[string]any)
	if msg["body"].(map[string]any)["text"] != "hello" || msg["from"] != "a@x.com" {
		t.Errorf("message = %v", msg)
	}
	wantError(t, c.do("GET", "/api/v1/sources/"+project+"/"+source+"/comments/nope", nil), 404, "not found")
}

func TestListingPagesThroughCommentsByTimestamp(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	for i, ts := range []string{"2024-01-03T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"} {
		wantOK(t, c.sync(comment(string(rune('a'+i)), "x", map[string]any{"timestamp": ts})))
	}
	var ids []string
	after := ""
	for range 5 {
		r := c.do("GET", "/api/_private/sources/"+project+"/"+source+"/comments?limit=2&after="+after, nil)
		wantOK(t, r)
		for _, cm := range r.body["comments"].([]any) {
			ids = append(ids, cm.(map[string]any)["id"].(string))
		}
		next, more := r.body["continuation"].(string)
		if !more {
			break
		}
		after = next
	}
	if strings.Join(ids, ",") != "b,c,a" {
		t.Errorf("paged ids = %v, want b,c,a", ids)
	}
	wantError(t, c.do("GET", "/api/_private/sources/"+project+"/"+source+"/comments?limit=257", nil), 400, "limit")
	wantError(t, c.do("GET", "/api/_private/sources/"+project+"/"+source+"/comments?after=@@@", nil), 400, "after")
}

func TestSourcesCanBeCreatedListedAndFetched(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	wantOK(t, c.do("PUT", "/api/v1/sources/"+project+"/emails", map[string]any{"source": map[string]any{"title": "Emails"}}))
	wantError(t, c.do("PUT", "/api/v1/sources/"+project+"/emails", nil), 409, "already exists")
	wantError(t, c.do("PUT", "/api/v1/sources/"+project+"/bad.name", nil), 400, "name")
	r := c.do("GET", "/api/v1/sources/"+project, nil)
	wantOK(t, r)
	if n := len(r.body["sources"].([]any)); n != 2 {
		t.Errorf("listed %d sources, want 2", n)
	}
	r = c.do("GET", "/api/v1/sources/"+project+"/emails", nil)
	wantOK(t, r)
	if got := r.body["source"].(map[string]any); got["title"] != "Emails" || len(got["id"].(string)) != 16 {
		t.Errorf("source = %v", got)
	}
	wantError(t, c.do("GET", "/api/v1/sources/"+project+"/nope", nil), 404, "not found")
	wantError(t, c.do("GET", "/api/v1/nothing", nil), 404, "no such route")
}

func TestAPathPrefixServesTheAutomationCloudURLForm(t *testing.T) {
	s := startSim(t, Options{PathPrefix: "/org/tenant/reinfer_"})
	if !strings.HasSuffix(s.URL(), "/org/tenant/reinfer_") {
		t.Fatalf("URL = %s", s.URL())
	}
	wantOK(t, newClient(t, s).sync(comment("a", "x")), 1, 0, 0)
}

func TestRequestsInFlightAreCountedWithTheirPeak(t *testing.T) {
	s := startSim(t, Options{})
	s.InjectFault(Fault{Endpoint: EndpointSync, Delay: 100 * time.Millisecond, Times: 3})
	done := make(chan struct{})
	for i := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			newClient(t, s).sync(comment(string(rune('a'+i)), "x"))
		}()
	}
	for range 3 {
		<-done
	}
	if st := s.Stats(); st.PeakInFlight < 2 || st.InFlight != 0 {
		t.Errorf("in flight %d, peak %d; want 0 and at least 2", st.InFlight, st.PeakInFlight)
	}
}
