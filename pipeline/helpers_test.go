package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // go-redis pool reaper between tests
	)
}

const cmProject, cmSource = "sfcdc", "salesforce"

// world is one test's simulated org, simulated CM behind a switchable
// fault gate, a real Redis store and the clients a worker needs.
type world struct {
	sim   *sfsim.Sim
	cm    *commsmining.Server
	gate  *cmGate
	cmURL string
	store *replay.RedisStore
	redis *redis.Client
	keys  string // the store's key prefix
	sf    *salesforce.Client
	ps    *pubsub.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, nil)
}

// newWorldWith is newWorld with the simulator's configuration adjusted by
// tune (a clock to age events past retention, an overflow limit…).
func newWorldWith(t *testing.T, tune func(*sfsim.SimConfig)) *world {
	t.Helper()
	simCfg := sfsim.SimConfig{Org: sfsim.Config{Seed: 21}, PubSub: sfsim.PubSubConfig{Insecure: true}}
	if tune != nil {
		tune(&simCfg)
	}
	s, err := sfsim.Start(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{cmProject + "/" + cmSource}, RejectUnknownFields: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cm.Close() })
	gate := &cmGate{next: cm.Handler(), failing: map[string]bool{}}
	front := httptest.NewServer(gate)
	t.Cleanup(front.Close)

	creds := salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	sf, err := salesforce.NewClient(salesforce.Config{}, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	ps, err := pubsub.NewClient(pubsub.Config{Endpoint: s.PubSub.Addr(), Plaintext: true,
		BackoffInitial: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	store, client, prefix := newStore(t)
	return &world{sim: s, cm: cm, gate: gate, cmURL: front.URL, store: store, redis: client, keys: prefix, sf: sf, ps: ps}
}

// cmGate stands in front of the CM simulator and answers 503 to every
// request whose body contains a failing marker: the simulator's own faults
// are queued per endpoint, not per comment. Markers are text the test puts
// into records, so the gate refuses them from the first attempt on.
type cmGate struct {
	next      http.Handler
	mu        sync.Mutex
	failing   map[string]bool
	rejecting map[string]bool // answered 422, as CM does for an invalid comment
	// accepted, when set, sees the body of every request CM answered with
	// a 2xx, and when the answer was complete.
	accepted func(body []byte, at time.Time)
}

// onAccepted makes f see every request CM accepts (nil: none).
func (g *cmGate) onAccepted(f func(body []byte, at time.Time)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.accepted = f
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

// reject makes CM refuse, for good, every request carrying a marker.
func (g *cmGate) reject(markers ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rejecting == nil {
		g.rejecting = map[string]bool{}
	}
	for _, m := range markers {
		g.rejecting[m] = true
	}
}

func (g *cmGate) fail(markers ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range markers {
		g.failing[m] = true
	}
}

func (g *cmGate) heal() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.failing)
}

func (g *cmGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if g.rejects(body) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"status":"error","message":"injected: comment is invalid"}`))
		return
	}
	if g.blocks(body) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"error","message":"injected: comment refused"}`))
		return
	}
	g.mu.Lock()
	accepted := g.accepted
	g.mu.Unlock()
	if accepted == nil {
		g.next.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	g.next.ServeHTTP(rec, r)
	if rec.status >= 200 && rec.status < 300 {
		accepted(body, time.Now())
	}
}

func (g *cmGate) rejects(body []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for marker := range g.rejecting {
		if bytes.Contains(body, []byte(marker)) {
			return true
		}
	}
	return false
}

func (g *cmGate) blocks(body []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for marker := range g.failing {
		if bytes.Contains(body, []byte(marker)) {
			return true
		}
	}
	return false
}

func redisAddr() string {
	if addr := os.Getenv("SFCDC_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// newStore is a RedisStore under a prefix no other test uses; its keys are
// deleted at cleanup (see newStoreTB, which benchmarks use too).
func newStore(t *testing.T) (*replay.RedisStore, *redis.Client, string) {
	t.Helper()
	return newStoreTB(t)
}

// deleteCheckpointKey removes the topic's checkpoint behind the store's
// back, as a Redis that lost data would.
func (w *world) deleteCheckpointKey(t *testing.T, topic string) {
	t.Helper()
	key := w.keys + "{" + w.sim.Org.ID() + "}:checkpoint:" + topic
	if n, err := w.redis.Del(t.Context(), key).Result(); err != nil || n != 1 {
		t.Fatalf("delete checkpoint key %s: deleted %d, %v", key, n, err)
	}
}

// setup is what a test changes about a worker.
type setup struct {
	topic   string
	objects []mapper.ObjectMapping
	upload  func(*uploader.Config)
}

// running is a worker started by start; stop cancels it and returns Run's
// result.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("worker stopped with %v, want a clean stop", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30 s")
	}
}

func (w *world) start(t *testing.T, s setup) *running {
	t.Helper()
	return w.startWith(t, s, nil)
}

// startWith starts a worker after tune adjusted its configuration.
func (w *world) startWith(t *testing.T, s setup, tune func(*pipeline.Config, *pipeline.Options)) *running {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: s.objects})
	if err != nil {
		t.Fatal(err)
	}
	up := uploader.Config{BaseURL: w.cmURL, Token: uploader.Secret(w.cm.Token()), Project: cmProject, Source: cmSource,
		Linger: time.Millisecond, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		ShutdownTimeout: time.Second}
	if s.upload != nil {
		s.upload(&up)
	}
	cfg := pipeline.Config{Org: w.sim.Org.ID(), Topic: s.topic, Holder: "test-" + t.Name(),
		FlushInterval: 10 * time.Millisecond, FetchLinger: 5 * time.Millisecond, DrainTimeout: 300 * time.Millisecond}
	opts := pipeline.Options{PubSub: w.ps, Records: w.sf, Mapper: m, Store: w.store, Upload: up}
	if tune != nil {
		tune(&cfg, &opts)
	}
	wk, err := pipeline.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = wk.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// create makes one record in its own transaction and returns its ID and
// the replay ID of its change event (the bus's newest event).
func (w *world) create(t *testing.T, object string, v sfsim.Values) (id string, replayID []byte) {
	t.Helper()
	id, err := w.sim.Org.Create(object, v)
	if err != nil {
		t.Fatal(err)
	}
	return id, sfsim.EncodeReplayID(w.sim.Bus.Tip())
}

// eventually polls cond until it holds or a generous bound passes; the
// bound only keeps a broken build from hanging, it measures nothing.
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

// checkpoint returns the stored replay ID of topic, nil if none.
func (w *world) checkpoint(t *testing.T, topic string) []byte {
	t.Helper()
	cp, err := w.store.Checkpoint(t.Context(), w.sim.Org.ID(), topic)
	if errors.Is(err, replay.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cp.ReplayID
}

// cmHas reports whether CM holds a comment for every (object, record ID).
func (w *world) cmHas(object string, ids ...string) bool {
	for _, id := range ids {
		if _, ok := w.cm.Comment(cmProject, cmSource, mapper.CommentID(object, id)); !ok {
			return false
		}
	}
	return true
}
