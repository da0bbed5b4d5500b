package simworld

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// Gate stands in front of the CM simulator and refuses every request whose
// body holds a marker the test set: 503 for a failing marker (a refusal
// for now), 422 for a rejecting one (CM's answer to an invalid comment).
// The simulator's own faults are queued per endpoint, not per comment;
// markers are text the test puts into records, so the gate refuses them
// from the first attempt on. Everything else passes to CM unchanged.
type Gate struct {
	next      http.Handler
	mu        sync.Mutex
	failing   map[string]bool
	rejecting map[string]bool
	passed    int // requests the gate let through to CM
	// accepted, when set, sees the body of every request CM answered with
	// a 2xx, and when the answer was complete.
	accepted func(body []byte, at time.Time)
}

func newGate(next http.Handler) *Gate {
	return &Gate{next: next, failing: map[string]bool{}, rejecting: map[string]bool{}}
}

// Fail makes CM answer 503 to every request carrying a marker, until Heal.
func (g *Gate) Fail(markers ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range markers {
		g.failing[m] = true
	}
}

// Reject makes CM answer 422 to every request carrying a marker, until
// Accept or Heal.
func (g *Gate) Reject(markers ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range markers {
		g.rejecting[m] = true
	}
}

// Accept stops rejecting the markers.
func (g *Gate) Accept(markers ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range markers {
		delete(g.rejecting, m)
	}
}

// Heal stops every refusal, failing and rejecting.
func (g *Gate) Heal() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.failing)
	clear(g.rejecting)
}

// Passed is how many requests the gate let through to CM.
func (g *Gate) Passed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.passed
}

// OnAccepted makes f see every request CM accepts (nil: none).
func (g *Gate) OnAccepted(f func(body []byte, at time.Time)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.accepted = f
}

// Insert puts the handler wrap returns between the gate and CM (a test's
// own fault injector); wrap is given what the gate passed to so far.
func (g *Gate) Insert(wrap func(next http.Handler) http.Handler) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next = wrap(g.next)
}

// ServeHTTP refuses a marked request or passes it to CM.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rejected, failed, accepted, next := g.decide(body)
	switch {
	case rejected:
		refuse(w, http.StatusUnprocessableEntity, "injected: comment is invalid")
		return
	case failed:
		refuse(w, http.StatusServiceUnavailable, "injected: comment refused")
		return
	case accepted == nil:
		next.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	next.ServeHTTP(rec, r)
	if rec.status >= 200 && rec.status < 300 {
		accepted(body, time.Now())
	}
}

// decide says whether body is rejected or failed, counts it as passed if
// neither, and returns the acceptance observer and the handler to pass to.
func (g *Gate) decide(body []byte) (rejected, failed bool, accepted func([]byte, time.Time), next http.Handler) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for m := range g.rejecting {
		rejected = rejected || bytes.Contains(body, []byte(m))
	}
	for m := range g.failing {
		failed = failed || bytes.Contains(body, []byte(m))
	}
	if !rejected && !failed {
		g.passed++
	}
	return rejected, failed, g.accepted, g.next
}

func refuse(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"error","message":"` + message + `"}`))
}

// statusRecorder notes the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
