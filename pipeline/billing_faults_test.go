package pipeline_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// cmFaults stands in front of CM and, while on, answers sync requests by a
// fixed cycle: 429 with and without Retry-After, 503 and 500, a connection
// dropped before CM saw the request, and one dropped after CM accepted it.
type cmFaults struct {
	next http.Handler

	mu     sync.Mutex
	on     bool
	n      int
	served map[string]int
}

var cmFaultCycle = []string{"429-retry-after", "503", "pass", "429", "accept-then-drop", "pass", "drop-before", "500", "pass"}

func (f *cmFaults) set(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.on = on
}

func (f *cmFaults) report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.served)
}

func (f *cmFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := "pass"
	if strings.HasSuffix(r.URL.Path, "/sync") {
		f.mu.Lock()
		if f.on {
			fault = cmFaultCycle[f.n%len(cmFaultCycle)]
			f.n++
			if f.served == nil {
				f.served = map[string]int{}
			}
			f.served[fault]++
		}
		f.mu.Unlock()
	}
	switch fault {
	case "429-retry-after":
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"status":"error","message":"slow down"}`, http.StatusTooManyRequests)
	case "429":
		http.Error(w, `{"status":"error","message":"slow down"}`, http.StatusTooManyRequests)
	case "503":
		http.Error(w, `{"status":"error","message":"unavailable"}`, http.StatusServiceUnavailable)
	case "500":
		http.Error(w, `{"status":"error","message":"internal error"}`, http.StatusInternalServerError)
	case "drop-before":
		dropConnection(w)
	case "accept-then-drop":
		f.next.ServeHTTP(discardResponse{h: http.Header{}}, r)
		dropConnection(w)
	default:
		f.next.ServeHTTP(w, r)
	}
}

func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close() // dropping the connection is the point
	}
}

type discardResponse struct{ h http.Header }

func (d discardResponse) Header() http.Header         { return d.h }
func (d discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d discardResponse) WriteHeader(int)             {}

// paced runs the generator until it made exactly n events, at rate events
// per second.
func paced(ctx context.Context, t *testing.T, g *sfsim.Generator, n int, rate float64) {
	t.Helper()
	start, events := time.Now(), 0
	for events < n {
		k, err := g.StepAtMost(n - events)
		if err != nil {
			t.Fatal(err)
		}
		events += k
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(time.Duration(float64(events) / rate * float64(time.Second))))):
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// billingRun runs the daemon (initial load, then the stream) over the same
// traffic, with CM failing throughout or not, and returns CM's billable
// units once CM matches the org.
func billingRun(t *testing.T, faulty bool) commsmining.Stats {
	w := newWorld(t)
	faults := &cmFaults{}
	w.Gate.Insert(func(next http.Handler) http.Handler { faults.next = next; return faults })
	// The same traffic every time: a seeded generator, the first events
	// made before the daemon starts (its initial load), the rest at a
	// steady 200 events per second while it loads and streams. 1,000 of
	// each (it was 2,000 at 100/s): the load still spans pages and each
	// fault of the cycle is served about ten times (50 syncs under faults;
	// at 100/s, 110 syncs and a run twice as long); the larger run stays
	// reachable with SFCDC_BILLING_PRELOAD=2000 SFCDC_BILLING_EVENTS=2000
	// SFCDC_BILLING_RATE=100.
	g := sfsim.NewGenerator(w.Sim.Org, 7)
	if _, err := g.Generate(t.Context(), envInt("SFCDC_BILLING_PRELOAD", 1000)); err != nil {
		t.Fatal(err)
	}
	faults.set(faulty)
	objects := e2eObjects
	// The fault suite's uploader settings: sfcdc run's, with short waits.
	tune := func(c *uploader.Config) {
		c.Linger, c.RequestTimeout = 20*time.Millisecond, time.Second
		c.InitialBackoff, c.MaxBackoff, c.MaxRetryAfter = 50*time.Millisecond, 500*time.Millisecond, 2*time.Second
	}
	d := w.startDaemonWith(t, objects, daemonTuning{upload: tune, fill: func(o *backfill.Options) { tune(&o.Upload) }})
	paced(t.Context(), t, g, envInt("SFCDC_BILLING_EVENTS", 1000), float64(envInt("SFCDC_BILLING_RATE", 200)))
	faults.set(false)
	m, err := mapper.New(mapper.Config{Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	awaitCMMatchesOrg(t, w, m, 3*time.Minute, "EmailMessage", "Case", "Task")
	d.stop(t)
	st := w.CM.Stats()
	t.Logf("faults %v: billable %d (new %d, updated %d, unchanged %d), %d comments received in %d sync requests; faults served %s",
		faulty, st.BillableUnits, st.New, st.Updated, st.Unchanged, st.CommentsReceived, st.Requests[commsmining.EndpointSync], faults.report())
	return st
}

// Issue 12.2: with CM failing (429s, 5xx, dropped connections) while the
// initial load ran, CM billed far more text updates than in a clean run of
// the same traffic, though the final content was right. A record is to be
// billed at most once per distinct text that is newest when it is sent, so
// the faults may cost retries but hardly any billable units.
func TestCMFaultsDuringTheInitialLoadBillAboutWhatACleanRunBills(t *testing.T) {
	// Not parallel with the other tests: each of its two daemons under
	// -race must keep up with traffic generated at a fixed rate within a
	// bound; the two runs share the machine (below), no third test does.
	if testing.Short() {
		t.Skip("two daemon runs of about 15 s each")
	}
	// The two runs are independent worlds paced by the same 200 events/s
	// traffic: run side by side they take the time of one. The group
	// returns once both have, so the comparison below sees both results.
	var clean, faulty commsmining.Stats
	t.Run("runs", func(t *testing.T) {
		t.Run("clean", func(t *testing.T) { t.Parallel(); clean = billingRun(t, false) })
		t.Run("faults", func(t *testing.T) { t.Parallel(); faulty = billingRun(t, true) })
	})
	if clean.BillableUnits == 0 || faulty.BillableUnits == 0 {
		t.Fatal("a run did not complete")
	}
	if limit := clean.BillableUnits * 105 / 100; faulty.BillableUnits > limit {
		t.Errorf("with CM faults CM billed %d units, more than 5%% over the clean run's %d (limit %d); text updates: %d against %d",
			faulty.BillableUnits, clean.BillableUnits, limit, faulty.BillableUnits-faulty.New, clean.BillableUnits-clean.New)
	}
}
