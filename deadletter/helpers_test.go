package deadletter_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}

const cmProject, cmSource = "sfcdc", "salesforce"

// world is a simulated org, a simulated CM behind a gate that refuses
// marked comments with 422 (as CM refuses an invalid one), and the
// embedded store.
type world struct {
	sim    *sfsim.Sim
	cm     *commsmining.Server
	gate   *rejectGate
	cmURL  string
	store  replay.Store
	sf     *salesforce.Client
	mapper *mapper.Mapper
	org    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 5}, PubSub: sfsim.PubSubConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{cmProject + "/" + cmSource}, RejectUnknownFields: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cm.Close() })
	gate := &rejectGate{next: cm.Handler(), markers: map[string]bool{}}
	front := httptest.NewServer(gate)
	t.Cleanup(front.Close)
	sf, err := salesforce.NewClient(salesforce.Config{},
		salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	m, err := mapper.New(mapper.Config{Objects: []mapper.ObjectMapping{{Object: "Case"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &world{sim: s, cm: cm, gate: gate, cmURL: front.URL, store: store, sf: sf, mapper: m, org: s.Org.ID()}
}

func (w *world) upload() uploader.Config {
	return uploader.Config{BaseURL: w.cmURL, Token: uploader.Secret(w.cm.Token()), Project: cmProject, Source: cmSource,
		Linger: time.Millisecond, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		ShutdownTimeout: time.Second}
}

// retrier is a Retrier of the world's org on clock, after tune adjusted
// its configuration.
func (w *world) retrier(t *testing.T, holder string, clock deadletter.Clock, tune func(*deadletter.Config)) *deadletter.Retrier {
	t.Helper()
	fill, err := backfill.New(backfill.Config{}, backfill.Options{Salesforce: w.sf, Mapper: w.mapper, Store: w.store, Org: w.org, Upload: w.upload()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := deadletter.Config{Org: w.org, Holder: holder, LeaseTTL: 300 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	r, err := deadletter.New(cfg, deadletter.Options{Store: w.store, Records: w.sf, Mapper: w.mapper, Upload: w.upload(),
		Backfill: fill, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// running is a retrier's Run on its own goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, r *deadletter.Retrier) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	run := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	t.Cleanup(func() { run.stop(t) })
	return run
}

// stop cancels Run and waits for it; it is harmless twice.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run returned %v, want nil on cancellation", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the retrier did not stop within 20 s")
	}
}

// createCase makes a Case whose subject is subject and returns its ID.
func (w *world) createCase(t *testing.T, subject string) string {
	t.Helper()
	id, err := w.sim.Org.Create("Case", sfsim.Values{"Subject": subject, "Status": "New", "Description": "details of " + subject})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// addRecordDeadLetter stores a dead letter of a rejected Case comment,
// written at at.
func (w *world) addRecordDeadLetter(t *testing.T, caseID string, at time.Time) string {
	t.Helper()
	id, err := w.store.AddDeadLetter(t.Context(), w.org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case",
		RecordID: caseID, Reason: "cm rejected comment", Error: "422", Attempts: 1, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deadLetter reads a dead letter; ok is false once it is gone.
func (w *world) deadLetter(t *testing.T, id string) (replay.DeadLetter, bool) {
	t.Helper()
	d, err := w.store.DeadLetter(t.Context(), w.org, id)
	if err != nil {
		return d, false
	}
	return d, true
}

func (w *world) cmHas(caseID string) bool {
	_, ok := w.cm.Comment(cmProject, cmSource, mapper.CommentID("Case", caseID))
	return ok
}

// eventually polls cond until it holds; the bound only keeps a broken
// build from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rejectGate answers 422 to every request whose body holds a marker, and
// passes the others to CM.
type rejectGate struct {
	next    http.Handler
	mu      sync.Mutex
	markers map[string]bool
	syncs   int // requests that reached CM
}

func (g *rejectGate) reject(marker string) { g.mu.Lock(); g.markers[marker] = true; g.mu.Unlock() }
func (g *rejectGate) heal()                { g.mu.Lock(); clear(g.markers); g.mu.Unlock() }

func (g *rejectGate) passed() int { g.mu.Lock(); defer g.mu.Unlock(); return g.syncs }

func (g *rejectGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.mu.Lock()
	rejected := false
	for m := range g.markers {
		rejected = rejected || bytes.Contains(body, []byte(m))
	}
	if !rejected {
		g.syncs++
	}
	g.mu.Unlock()
	if rejected {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"status":"error","message":"injected: comment is invalid"}`))
		return
	}
	g.next.ServeHTTP(w, r)
}
