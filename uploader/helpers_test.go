package uploader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

func TestMain(m *testing.M) {
	// net/http lingers up to 500 ms in a server connection goroutine after
	// refusing an oversized body; it always ends.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}

const project, source = "sfcdc", "salesforce"

func startSim(t testing.TB, opts commsmining.Options) *commsmining.Server {
	t.Helper()
	if opts.Sources == nil {
		opts.Sources = []string{project + "/" + source}
	}
	opts.RejectUnknownFields = true // a misspelt field in our JSON fails the test
	s, err := commsmining.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sleepRecorder is an Options.Sleep that records waits instead of waiting.
type sleepRecorder struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// outcomes collects reported outcomes by token.
type outcomes struct {
	mu   sync.Mutex
	list []Outcome[string]
}

func (o *outcomes) add(out Outcome[string]) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, out)
}

func (o *outcomes) all() []Outcome[string] {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Outcome[string](nil), o.list...)
}

// harness runs an uploader against a simulator.
type harness struct {
	t        testing.TB
	sim      *commsmining.Server
	up       *Uploader[string]
	hashes   *MemoryHashStore
	sleeps   *sleepRecorder
	outcomes *outcomes
	runErr   chan error
	cancel   context.CancelFunc
	stopOnce sync.Once
	stopErr  error
}

func newHarness(t testing.TB, sim *commsmining.Server, cfg Config, opts Options[string]) *harness {
	t.Helper()
	h := &harness{t: t, sim: sim, hashes: NewMemoryHashStore(), sleeps: &sleepRecorder{}, outcomes: &outcomes{}, runErr: make(chan error, 1)}
	if cfg.BaseURL == "" {
		cfg.BaseURL = sim.URL()
	}
	if cfg.Token == "" {
		cfg.Token = Secret(sim.Token())
	}
	cfg.Project, cfg.Source = project, source
	if cfg.Linger == 0 {
		cfg.Linger = time.Hour // tests send on Flush, so batches are predictable
	}
	if opts.Hashes == nil {
		opts.Hashes = h.hashes
	}
	if opts.Sleep == nil {
		opts.Sleep = h.sleeps.sleep
	}
	opts.Report = h.outcomes.add
	up, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.up = up
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- up.Run(ctx) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop cancels Run and returns its error; later calls return the same.
func (h *harness) stop() error {
	h.stopOnce.Do(func() {
		h.cancel()
		select {
		case h.stopErr = <-h.runErr:
		case <-time.After(time.Minute):
			h.t.Error("Run did not return after cancellation")
		}
	})
	return h.stopErr
}

func (h *harness) submit(results ...mapper.Result) {
	h.t.Helper()
	for i, r := range results {
		if err := h.up.Submit(context.Background(), Item[string]{Result: r, Token: fmt.Sprintf("%s#%d", r.CommentID, i)}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) flush() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.up.Flush(ctx); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// cases maps Case records with the built-in mapping.
var cases = func() *mapper.Mapper {
	m, err := mapper.New(mapper.Config{Objects: []mapper.ObjectMapping{{Object: "Case"}}})
	if err != nil {
		panic(err)
	}
	return m
}()

func caseRecord(i int, description, status string) mapper.Record {
	return mapper.Record{Object: "Case", ID: fmt.Sprintf("500%015d", i), Fields: map[string]any{
		"Subject": fmt.Sprintf("Case %d", i), "Description": description, "Status": status,
		"CaseNumber": fmt.Sprintf("%08d", i), "CreatedDate": "2024-05-01T10:00:00Z",
	}}
}

func mapCase(t testing.TB, i int, description, status string) mapper.Result {
	t.Helper()
	r, err := cases.Map(caseRecord(i, description, status))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mapCases(t testing.TB, n int, description, status string) []mapper.Result {
	out := make([]mapper.Result, n)
	for i := range out {
		out[i] = mapCase(t, i, description, status)
	}
	return out
}

func countBy(list []Outcome[string], pred func(Outcome[string]) bool) int {
	n := 0
	for _, o := range list {
		if pred(o) {
			n++
		}
	}
	return n
}

func isFatal(err error, sentinel error) bool {
	var fe *FatalError
	return errors.As(err, &fe) && errors.Is(err, sentinel)
}

// awaitRetries waits until the uploader has slept between retries at least
// n times, failing the test after a minute.
func (h *harness) awaitRetries(n int) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(h.sleeps.waits()) < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d retry waits after a minute, want at least %d", len(h.sleeps.waits()), n)
		}
		time.Sleep(time.Millisecond)
	}
}
