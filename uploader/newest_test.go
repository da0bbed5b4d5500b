package uploader

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// sleepGate is an Options.Sleep that holds every wait between retries
// until the test opens it, so a test can submit newer versions while a
// request is known to be waiting for its retry. Once open, waits return at
// once.
type sleepGate struct {
	mu       sync.Mutex
	opened   chan struct{}
	sleeping chan struct{} // one value per wait that began
	waits    int
}

func newSleepGate() *sleepGate {
	return &sleepGate{opened: make(chan struct{}), sleeping: make(chan struct{}, 1000)}
}

func (g *sleepGate) sleep(ctx context.Context, _ time.Duration) error {
	g.mu.Lock()
	g.waits++
	g.mu.Unlock()
	g.sleeping <- struct{}{}
	select {
	case <-g.opened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitSleeping waits until a request waits for its retry.
func (g *sleepGate) awaitSleeping(t testing.TB) {
	t.Helper()
	select {
	case <-g.sleeping:
	case <-time.After(time.Minute):
		t.Fatal("no request waited to be retried within a minute")
	}
}

func (g *sleepGate) open() { close(g.opened) }

// submitAs submits results with the given tokens.
func (h *harness) submitAs(tokens []string, results ...mapper.Result) {
	h.t.Helper()
	for i, r := range results {
		if err := h.up.Submit(context.Background(), Item[string]{Result: r, Token: tokens[i]}); err != nil {
			h.t.Fatal(err)
		}
	}
}

// awaitWaiting waits until n submitted items wait behind a request in
// flight for their comment.
func (h *harness) awaitWaiting(n int) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for h.up.waiting.items() < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d items wait behind a request in flight after a minute, want %d", h.up.waiting.items(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// onceEach checks that every token has exactly one outcome and that all
// were delivered.
func onceEach(t *testing.T, out []Outcome[string], tokens ...string) {
	t.Helper()
	seen := map[any]int{}
	for _, o := range out {
		seen[o.Token]++
		if !o.Delivered() {
			t.Errorf("%v: %v, want delivered", o.Token, o.Err)
		}
	}
	for _, tok := range tokens {
		if seen[tok] != 1 {
			t.Errorf("token %s has %d outcomes, want exactly one", tok, seen[tok])
		}
	}
	if len(out) != len(tokens) {
		t.Errorf("%d outcomes for %d items: %+v", len(out), len(tokens), out)
	}
}

func TestARetriedRequestSendsTheNewestVersionOfEachComment(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 503, Times: 2})
	gate := newSleepGate()
	// The first two comments fill a request, which leaves at once.
	h := newHarness(t, sim, Config{MaxBatchComments: 2}, Options[string]{Sleep: gate.sleep})
	v1, v2, v3 := mapCase(t, 1, "v1", "New"), mapCase(t, 1, "v2", "New"), mapCase(t, 1, "v3", "New")
	other := mapCase(t, 2, "another comment in the same request", "New")

	h.submitAs([]string{"v1", "other"}, v1, other)
	gate.awaitSleeping(t) // the request with v1 got a 503 and waits to be retried
	h.submitAs([]string{"v2", "v3"}, v2, v3)
	h.awaitWaiting(2)
	gate.open()
	h.flush()

	st := sim.Stats()
	if st.BillableUnits != 2 || st.CommentsReceived != 2 || st.Requests[commsmining.EndpointSync] != 3 {
		t.Errorf("CM billed %d units for %d comments received in %d sync requests; want 2 units (v3 and the other comment), 2 comments, 3 requests (503, 503, accepted)",
			st.BillableUnits, st.CommentsReceived, st.Requests[commsmining.EndpointSync])
	}
	if c, _ := sim.Comment(project, source, v1.CommentID); c.Messages[0].Body != "v3" {
		t.Errorf("CM holds %q, want v3", c.Messages[0].Body)
	}
	onceEach(t, h.outcomes.all(), "v1", "other", "v2", "v3")
	stored, _ := h.hashes.Get(context.Background(), []string{v1.CommentID, other.CommentID})
	if stored[v1.CommentID] != v3.Hashes || stored[other.CommentID] != other.Hashes {
		t.Errorf("the hash store holds %+v, want v3's and the other comment's hashes", stored)
	}
	if s := h.up.Stats(); s.BillableUnits != 2 || s.Creates != 4 {
		t.Errorf("the uploader counted %d billable units and %d creates, want 2 and 4 (v1, v2 and v3 share v3's outcome)", s.BillableUnits, s.Creates)
	}
}

func TestAnUpdateRetriedBehindANewerVersionIsBilledOnceAndForgetsTheOldHashesOnce(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	gate := newSleepGate()
	hashes := &countingHashStore{MemoryHashStore: NewMemoryHashStore()}
	h := newHarness(t, sim, Config{Linger: -1}, Options[string]{Sleep: gate.sleep, Hashes: hashes})
	v0, v1, v2 := mapCase(t, 1, "v0", "New"), mapCase(t, 1, "v1", "New"), mapCase(t, 1, "v2", "New")
	h.submitAs([]string{"v0"}, v0)
	h.flush()

	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 429, Times: 1})
	h.submitAs([]string{"v1"}, v1)
	gate.awaitSleeping(t)
	h.submitAs([]string{"v2"}, v2)
	h.awaitWaiting(1)
	gate.open()
	h.flush()

	if st := sim.Stats(); st.BillableUnits != 2 || st.Updated != 1 {
		t.Errorf("CM billed %d units with %d updates, want 2 (v0 created, v2 replacing it)", st.BillableUnits, st.Updated)
	}
	if s := h.up.Stats(); s.TextUpdates != 2 || s.BillableUnits != 2 {
		t.Errorf("the uploader counted %d text updates and %d billable units, want 2 (v1 and v2 share v2's outcome) and 2", s.TextUpdates, s.BillableUnits)
	}
	if n := hashes.deletes(); n != 1 {
		t.Errorf("v0's hashes were forgotten %d times, want once, before the first attempt", n)
	}
	if stored, _ := hashes.Get(context.Background(), []string{v2.CommentID}); stored[v2.CommentID] != v2.Hashes {
		t.Errorf("the hash store holds %+v, want v2's hashes", stored)
	}
	onceEach(t, h.outcomes.all(), "v0", "v1", "v2")
}

func TestAVersionEqualToTheStoredOneStillReplacesARetriedChange(t *testing.T) {
	t.Parallel()
	// v0 is in CM and stored. v1's first attempt reaches CM but its answer
	// never comes; v0 again arrives while v1 waits to be retried. v0 looks
	// unchanged against the store, yet CM may hold v1: it must be sent.
	sim := startSim(t, commsmining.Options{})
	gate := newSleepGate()
	h := newHarness(t, sim, Config{Linger: -1, RequestTimeout: 200 * time.Millisecond}, Options[string]{Sleep: gate.sleep})
	v0, v1 := mapCase(t, 1, "v0", "New"), mapCase(t, 1, "v1", "New")
	h.submitAs([]string{"v0"}, v0)
	h.flush()

	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, AcceptThenTimeout: true})
	h.submitAs([]string{"v1"}, v1)
	gate.awaitSleeping(t)
	h.submitAs([]string{"v0 again"}, v0)
	h.awaitWaiting(1)
	gate.open()
	h.flush()

	if c, _ := sim.Comment(project, source, v0.CommentID); c.Messages[0].Body != "v0" {
		t.Errorf("CM holds %q, want v0", c.Messages[0].Body)
	}
	if stored, _ := h.hashes.Get(context.Background(), []string{v0.CommentID}); stored[v0.CommentID] != v0.Hashes {
		t.Errorf("the hash store holds %+v, want v0's hashes", stored)
	}
	onceEach(t, h.outcomes.all(), "v0", "v1", "v0 again")
}

func TestARetriedVersionWhoseRecordWasDeletedMeanwhileIsNotSentAgain(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 500})
	gate := newSleepGate()
	h := newHarness(t, sim, Config{Linger: -1, DeleteLinger: -1}, Options[string]{Sleep: gate.sleep})
	v1 := mapCase(t, 1, "v1", "New")
	gone := mapper.Result{Kind: mapper.ResultDelete, CommentID: v1.CommentID}
	h.submitAs([]string{"v1"}, v1)
	gate.awaitSleeping(t)
	h.submitAs([]string{"deleted"}, gone)
	h.awaitWaiting(1)
	gate.open()
	h.flush()

	st := sim.Stats()
	if st.BillableUnits != 0 || st.Requests[commsmining.EndpointSync] != 1 || st.Requests[commsmining.EndpointDelete] != 1 {
		t.Errorf("CM billed %d units after %d sync and %d delete requests; want nothing billed, the failed sync only, then the delete",
			st.BillableUnits, st.Requests[commsmining.EndpointSync], st.Requests[commsmining.EndpointDelete])
	}
	if _, ok := sim.Comment(project, source, v1.CommentID); ok {
		t.Error("CM holds the comment of a deleted record")
	}
	onceEach(t, h.outcomes.all(), "v1", "deleted")
}

// countingHashStore counts Delete calls.
type countingHashStore struct {
	*MemoryHashStore
	mu      sync.Mutex
	deleted int
}

func (c *countingHashStore) Delete(ctx context.Context, ids []string) error {
	c.mu.Lock()
	c.deleted++
	c.mu.Unlock()
	return c.MemoryHashStore.Delete(ctx, ids)
}

func (c *countingHashStore) deletes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deleted
}
