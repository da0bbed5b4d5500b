package uploader

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
)

// notCM is a server at base_url that is not CM: answer writes every
// answer, and requests counts them.
type notCM struct {
	requests atomic.Int32
	answer   func(w http.ResponseWriter, r *http.Request, n int32)
}

func startNotCM(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int32)) (*notCM, string) {
	t.Helper()
	s := &notCM{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, s.requests.Add(1))
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

const webPage = "<!doctype html><html><head><title>Welcome</title></head><body>Our company</body></html>"

func answerWith(status int, contentType, body string) func(http.ResponseWriter, *http.Request, int32) {
	return func(w http.ResponseWriter, _ *http.Request, _ int32) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// awaitRunEnd waits for Run to return on its own, failing the test if it
// goes on retrying.
func (h *harness) awaitRunEnd(d time.Duration) error {
	h.t.Helper()
	select {
	case err := <-h.runErr:
		h.stopOnce.Do(func() { h.stopErr = err; h.cancel() })
		return err
	case <-time.After(d):
		h.t.Fatalf("Run still going after %v: the uploader retries for ever", d)
		return nil
	}
}

// flushUntilStopped flushes; a fatal stop ends the flush with outcomes.
func (h *harness) flushUntilStopped() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = h.up.Flush(ctx)
}

func TestABaseURLServingAWebPageStopsTheUploaderNamingBothFormsOfTheAPIRoot(t *testing.T) {
	t.Parallel()
	srv, url := startNotCM(t, answerWith(200, "text/html; charset=utf-8", webPage))
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flushUntilStopped()
	err := h.awaitRunEnd(10 * time.Second)
	if !isFatal(err, ErrNotCMAPI) {
		t.Fatalf("Run = %v, want a FatalError wrapping ErrNotCMAPI", err)
	}
	for _, want := range []string{"commsmining.base_url", "does not look like the CM API root",
		"https://<tenant>.reinfer.io", "https://cloud.uipath.com/<org>/<tenant>/reinfer_", "text/html, not JSON"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %q, want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "CM said") || strings.Contains(err.Error(), "Welcome") || strings.Contains(err.Error(), canary) {
		t.Errorf("Run = %q: the page's words or the token are quoted", err)
	}
	if n := srv.requests.Load(); n > notCMAnswersLimit {
		t.Errorf("%d requests, want at most %d", n, notCMAnswersLimit)
	}
	if o := h.outcomes.all(); len(o) != 1 || !isFatal(o[0].Err, ErrNotCMAPI) {
		t.Errorf("outcomes = %+v, want one not delivered with the fatal error", o)
	}
}

func TestAnswersThatAreNotCMsJSONAreRetriedThenStopTheUploaderAfterThreeInARow(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, contentType, body string }{
		{"JSON of another API", "application/json", `{"hello":"world"}`},
		{"a page without a content type", "", "<html>"},
		{"an empty body", "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := startNotCM(t, func(w http.ResponseWriter, r *http.Request, n int32) {
				if tt.contentType == "" {
					w.Header()["Content-Type"] = nil // no sniffing either
				} else {
					w.Header().Set("Content-Type", tt.contentType)
				}
				_, _ = w.Write([]byte(tt.body))
			})
			h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
			h.submit(mapCase(t, 1, "x", "New"))
			h.flushUntilStopped()
			err := h.awaitRunEnd(10 * time.Second)
			if !isFatal(err, ErrNotCMAPI) || !strings.Contains(err.Error(), "3 answers in a row were not CM's JSON") {
				t.Fatalf("Run = %v, want a FatalError wrapping ErrNotCMAPI after 3 answers", err)
			}
			if n, waits := srv.requests.Load(), len(h.sleeps.waits()); n != notCMAnswersLimit || waits != notCMAnswersLimit-1 {
				t.Errorf("%d requests and %d waits, want %d and %d", n, waits, notCMAnswersLimit, notCMAnswersLimit-1)
			}
		})
	}
}

func TestAStrayAnswerThatIsNotCMsIsRetriedAndAGoodAnswerEndsTheStreak(t *testing.T) {
	t.Parallel()
	// Two bad answers, a good one, two bad ones, a good one: never three
	// in a row.
	srv, url := startNotCM(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		w.Header().Set("Content-Type", "application/json")
		if n%3 != 0 {
			_, _ = w.Write([]byte(`{"truncated":`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok","new":1,"updated":0,"unchanged":0}`))
	})
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
	for i := range 2 {
		h.submit(mapCase(t, i, "x", "New"))
		h.flush()
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if o := h.outcomes.all(); countBy(o, Outcome[string].Delivered) != 2 {
		t.Errorf("outcomes = %+v, want both delivered", o)
	}
	if n := srv.requests.Load(); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}
}

func TestAnAnswerLargerThanAnyOfCMsIsReportedAsTooLarge(t *testing.T) {
	t.Parallel()
	// Valid JSON, so reading only its start used to fail as "unexpected
	// end of JSON input".
	huge := `{"status":"ok","new":1,"padding":"` + strings.Repeat("x", 5<<20) + `"}`
	srv, url := startNotCM(t, answerWith(200, "application/json", huge))
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flushUntilStopped()
	err := h.awaitRunEnd(10 * time.Second)
	if !isFatal(err, ErrNotCMAPI) || !strings.Contains(err.Error(), "answer too large (more than 1048576 bytes)") {
		t.Fatalf("Run = %v, want a FatalError saying the answer is too large", err)
	}
	if strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Errorf("Run = %v", err)
	}
	if n := srv.requests.Load(); n != notCMAnswersLimit {
		t.Errorf("%d requests, want %d", n, notCMAnswersLimit)
	}
}

func TestAnAnswerOfExactlyTheLimitIsRead(t *testing.T) {
	t.Parallel()
	head, tail := `{"status":"ok","new":1,"padding":"`, `"}`
	body := head + strings.Repeat("x", maxAnswerBytes-len(head)-len(tail)) + tail
	_, url := startNotCM(t, answerWith(200, "application/json", body))
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	if o := h.outcomes.all(); len(o) != 1 || !o[0].Delivered() {
		t.Errorf("outcomes = %+v, want delivered", o)
	}
}

// A web server answers a delete with its 404 page; CM's 404 means the
// comments are already gone, and the source lookup that tells the two
// apart got the web server's 200 page, which used to count the delete as
// done.
func TestADeleteAgainstAWebServerIsNotCountedAsDone(t *testing.T) {
	t.Parallel()
	_, url := startNotCM(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		w.Header().Set("Content-Type", "text/html")
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = w.Write([]byte(webPage))
	})
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary}, Options[string]{})
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	h.submit(del)
	h.flushUntilStopped()
	if err := h.awaitRunEnd(10 * time.Second); !isFatal(err, ErrNotCMAPI) {
		t.Errorf("Run = %v, want a FatalError wrapping ErrNotCMAPI", err)
	}
	if o := h.outcomes.all(); len(o) != 1 || o[0].Delivered() {
		t.Errorf("outcomes = %+v, want the delete not done", o)
	}
}
