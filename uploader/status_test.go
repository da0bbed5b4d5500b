package uploader

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

func TestEachStatusMapsToOneDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op     operation
		status int
		want   verdict
		fatal  error
	}{
		{opSync, 200, verdictOK, nil},
		{opSync, 204, verdictOK, nil},
		{opDelete, 200, verdictOK, nil},
		{opDelete, 404, verdictOK, nil},
		{opSync, 404, verdictFatal, ErrSourceNotFound},
		{opSync, 408, verdictRetry, nil},
		{opSync, 409, verdictRetry, nil},
		{opSync, 429, verdictRetry, nil},
		{opSync, 500, verdictRetry, nil},
		{opSync, 502, verdictRetry, nil},
		{opSync, 503, verdictRetry, nil},
		{opSync, 504, verdictRetry, nil},
		{opDelete, 503, verdictRetry, nil},
		{opSync, 400, verdictSplit, nil},
		{opSync, 413, verdictSplit, nil},
		{opSync, 422, verdictSplit, nil},
		{opDelete, 422, verdictSplit, nil},
		{opSync, 401, verdictFatal, ErrUnauthorized},
		{opSync, 403, verdictFatal, ErrForbidden},
		{opDelete, 401, verdictFatal, ErrUnauthorized},
		{opSync, 302, verdictFatal, ErrUnexpectedStatus},
		{opSync, 405, verdictFatal, ErrUnexpectedStatus},
		{opSync, 418, verdictFatal, ErrUnexpectedStatus},
	}
	for _, tt := range tests {
		got, fatal := classify(tt.op, tt.status)
		if got != tt.want || !errors.Is(fatal, tt.fatal) || (tt.fatal == nil) != (fatal == nil) {
			t.Errorf("classify(op %d, %d) = %v, %v; want %v, %v", tt.op, tt.status, got, fatal, tt.want, tt.fatal)
		}
	}
}

func TestEveryStatusPathAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      commsmining.Fault
		delivered  bool
		retries    int64
		deadLetter bool
		fatal      error
	}{
		{"408 is retried", commsmining.Fault{Status: 408}, true, 1, false, nil},
		{"409 is retried", commsmining.Fault{Status: 409}, true, 1, false, nil},
		{"429 is retried", commsmining.Fault{Status: 429}, true, 1, false, nil},
		{"500 is retried", commsmining.Fault{Status: 500}, true, 1, false, nil},
		{"502 is retried", commsmining.Fault{Status: 502}, true, 1, false, nil},
		{"503 twice is retried twice", commsmining.Fault{Status: 503, Times: 2}, true, 2, false, nil},
		{"504 is retried", commsmining.Fault{Status: 504}, true, 1, false, nil},
		{"a slow answer is just waited for", commsmining.Fault{Delay: 10 * time.Millisecond}, true, 0, false, nil},
		{"400 for one comment dead-letters it", commsmining.Fault{Status: 400, Message: "bad comment"}, false, 0, true, nil},
		{"413 for one comment dead-letters it", commsmining.Fault{Status: 413}, false, 0, true, nil},
		{"422 for one comment dead-letters it", commsmining.Fault{Status: 422}, false, 0, true, nil},
		{"401 stops the uploader", commsmining.Fault{Status: 401}, false, 0, false, ErrUnauthorized},
		{"403 stops the uploader", commsmining.Fault{Status: 403}, false, 0, false, ErrForbidden},
		{"an unexpected redirect stops the uploader", commsmining.Fault{Status: 302}, false, 0, false, ErrUnexpectedStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t, commsmining.Options{})
			tt.fault.Endpoint = commsmining.EndpointSync
			sim.InjectFault(tt.fault)
			h := newHarness(t, sim, Config{}, Options[string]{})
			h.submit(mapCase(t, 1, "text", "New"))
			h.flush()
			out := h.outcomes.all()
			if len(out) != 1 {
				t.Fatalf("%d outcomes, want 1", len(out))
			}
			o := out[0]
			if o.Delivered() != tt.delivered || o.DeadLettered() != tt.deadLetter {
				t.Errorf("outcome %+v: delivered %v, dead letter %v", o, o.Delivered(), o.DeadLettered())
			}
			if got := h.up.Stats().Retries; got != tt.retries {
				t.Errorf("retries = %d, want %d", got, tt.retries)
			}
			runErr := h.stop()
			if tt.fatal != nil {
				if !isFatal(runErr, tt.fatal) || !isFatal(o.Err, tt.fatal) {
					t.Errorf("Run = %v, outcome = %v; want a FatalError wrapping %v", runErr, o.Err, tt.fatal)
				}
			} else if runErr != nil {
				t.Errorf("Run = %v, want nil", runErr)
			}
			_, stored := sim.Comment(project, source, o.CommentID)
			if stored != tt.delivered {
				t.Errorf("stored in CM: %v, want %v", stored, tt.delivered)
			}
		})
	}
}

func TestAMissingSourceStopsTheUploaderWithAClearMessage(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{Sources: []string{}})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	err := h.stop()
	if !isFatal(err, ErrSourceNotFound) || !strings.Contains(err.Error(), "check project and source") {
		t.Errorf("Run = %v", err)
	}
}

// CM answers 404 to a delete both when the comments are already gone and
// when the source does not exist; the second must stop the uploader, or
// deletes to a misnamed source would count as done and be checkpointed.
func TestADeleteToAMissingSourceStopsTheUploaderInsteadOfCountingAsDone(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{Sources: []string{}})
	h := newHarness(t, sim, Config{}, Options[string]{})
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	h.submit(del)
	_ = h.up.Flush(context.Background()) // ends with the uploader's fatal stop
	err = h.stop()
	if !isFatal(err, ErrSourceNotFound) || !strings.Contains(err.Error(), "check project and source") {
		t.Errorf("Run = %v, want the missing source named", err)
	}
	for _, o := range h.outcomes.all() {
		if o.Delivered() {
			t.Errorf("outcome %+v: a delete to a missing source was reported done", o)
		}
	}
}

func TestRetryAfterIsHonouredExactlyInSecondsOrAsADate(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"an HTTP date", now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
		{"zero is raised to the initial backoff, never a tight loop", "0", time.Second},
		{"a huge value is capped", "999999", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t, commsmining.Options{})
			sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 429, RetryAfter: tt.retryAfter})
			h := newHarness(t, sim, Config{}, Options[string]{Now: func() time.Time { return now }})
			h.submit(mapCase(t, 1, "x", "New"))
			h.flush()
			if waits := h.sleeps.waits(); len(waits) != 1 || waits[0] != tt.want {
				t.Errorf("waits = %v, want [%v]", waits, tt.want)
			}
			if !h.outcomes.all()[0].Delivered() {
				t.Error("the comment was not delivered after the wait")
			}
		})
	}
}

func TestWithoutRetryAfterTheWaitsGrowExponentiallyWithJitter(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 503, Times: 4})
	h := newHarness(t, sim, Config{InitialBackoff: time.Second, MaxBackoff: 4 * time.Second}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	waits := h.sleeps.waits()
	bounds := [][2]time.Duration{{500 * time.Millisecond, 1500 * time.Millisecond}, {time.Second, 3 * time.Second},
		{2 * time.Second, 6 * time.Second}, {2 * time.Second, 6 * time.Second}}
	if len(waits) != 4 {
		t.Fatalf("waits = %v, want 4", waits)
	}
	for i, w := range waits {
		if w < bounds[i][0] || w > bounds[i][1] {
			t.Errorf("wait %d = %v, want within %v", i, w, bounds[i])
		}
	}
}

func TestAnAnswerThatNeverComesIsRetriedWithoutBillingTwice(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, AcceptThenTimeout: true})
	h := newHarness(t, sim, Config{RequestTimeout: 200 * time.Millisecond}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	if o := h.outcomes.all()[0]; !o.Delivered() || h.up.Stats().Retries != 1 {
		t.Errorf("outcome %+v after %d retries", o, h.up.Stats().Retries)
	}
	if st := sim.Stats(); st.BillableUnits != 1 || st.Unchanged != 1 {
		t.Errorf("CM billed %d units (unchanged %d); the retry must be free", st.BillableUnits, st.Unchanged)
	}
}

func TestNetworkErrorsAreRetriedUntilStopped(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	url := sim.URL()
	_ = sim.Close() // nothing listens there any more
	h := newHarness(t, sim, Config{BaseURL: url, Linger: -1}, Options[string]{})
	h.submit(mapCase(t, 1, "x", "New"))
	for len(h.sleeps.waits()) < 3 {
		time.Sleep(time.Millisecond) // wait for retries to happen, not for a duration
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run = %v; network errors must never be fatal", err)
	}
	if o := h.outcomes.all(); len(o) != 1 || !errors.Is(o[0].Err, ErrStopped) {
		t.Errorf("outcomes = %+v, want one ErrStopped", o)
	}
}
