package uploader

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// poisoned returns r with an empty string property, which CM refuses.
func poisoned(r mapper.Result) mapper.Result {
	r.JSON = bytes.Replace(r.JSON, []byte(`"string:Status":"New"`), []byte(`"string:Status":" "`), 1)
	return r
}

func TestOneBadCommentInABatchOf1000IsIsolatedWhileTheOther999Land(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{MaxBatchComments: 1000}, Options[string]{})
	results := mapCases(t, 1000, "text", "New")
	results[617] = poisoned(results[617])
	h.submit(results...)
	h.flush()

	out := h.outcomes.all()
	delivered := countBy(out, Outcome[string].Delivered)
	dead := countBy(out, Outcome[string].DeadLettered)
	if len(out) != 1000 || delivered != 999 || dead != 1 {
		t.Fatalf("%d outcomes: %d delivered, %d dead letters; want 999 and 1", len(out), delivered, dead)
	}
	for _, o := range out {
		if o.DeadLettered() {
			var rej *RejectedError
			if o.CommentID != results[617].CommentID || !errors.As(o.Err, &rej) || rej.Status != 422 || !strings.Contains(rej.Message, "empty") {
				t.Errorf("dead letter %+v, want comment %s refused with CM's reason", o, results[617].CommentID)
			}
		}
	}
	if n := len(sim.Comments(project, source)); n != 999 {
		t.Errorf("CM holds %d comments, want 999", n)
	}
	if st := h.up.Stats(); st.SyncRequests > 25 || st.Splits == 0 {
		t.Errorf("isolating one comment took %d requests (%d splits); bisection needs about 2·log2(1000)", st.SyncRequests, st.Splits)
	}
	if h.hashes.Len() != 999 {
		t.Errorf("hash store knows %d comments; the dead letter must not be recorded", h.hashes.Len())
	}
}

func TestBatchesAreBoundedByCountAndBytes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{MaxBatch: 100})
	results := mapCases(t, 250, strings.Repeat("x", 900), "New")
	h := newHarness(t, sim, Config{MaxBatchComments: 100, MaxBatchBytes: 50_000}, Options[string]{})
	h.submit(results...)
	h.flush()
	// About 1.2 KB per comment: 50 KB holds ~40, so bytes bind before count.
	if st := h.up.Stats(); st.Delivered != 250 || st.SyncRequests < 6 || st.SyncRequests > 8 {
		t.Errorf("stats %+v: want 250 delivered in 6-8 requests of at most 50 KB", st)
	}
	if sim.Stats().Rejected != 0 {
		t.Error("CM refused a batch over its limit")
	}
}

func TestResendingUnchangedRecordsCostsNoRequestAndNoUnit(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCases(t, 1000, "text", "New")...)
	h.flush()
	sim.ResetStats()

	h.submit(mapCases(t, 1000, "text", "New")...)
	h.flush()
	st := sim.Stats()
	if st.Requests[commsmining.EndpointSync] != 0 || st.BillableUnits != 0 {
		t.Errorf("re-sending unchanged records made %d sync requests and cost %d units; want 0 and 0",
			st.Requests[commsmining.EndpointSync], st.BillableUnits)
	}
	out := h.outcomes.all()[1000:]
	if n := countBy(out, func(o Outcome[string]) bool { return o.Delivered() && o.Action == mapper.ActionUnchanged }); n != 1000 {
		t.Errorf("%d of 1000 re-sent records were reported unchanged and delivered", n)
	}
	if s := h.up.Stats(); s.Skipped != 1000 || s.BillableUnits != 1000 {
		t.Errorf("uploader stats %+v: want 1000 skipped and 1000 units in total (the first upload)", s)
	}
}

func TestAMetadataOnlyChangeIsUploadedAndCostsNothing(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCases(t, 10, "text", "New")...)
	h.flush()
	sim.ResetStats()

	h.submit(mapCases(t, 10, "text", "Closed")...)
	h.flush()
	st := sim.Stats()
	if st.Requests[commsmining.EndpointSync] != 1 || st.Updated != 10 || st.BillableUnits != 0 {
		t.Errorf("CM stats %+v: want one request updating 10 comments for 0 units", st)
	}
	if c, _ := sim.Comment(project, source, mapCase(t, 3, "", "").CommentID); c.UserProperties["string:Status"] != "Closed" {
		t.Errorf("CM holds %v, want the new status", c.UserProperties)
	}
	out := h.outcomes.all()[10:]
	if n := countBy(out, func(o Outcome[string]) bool { return o.Action == mapper.ActionUpdateMetadata }); n != 10 {
		t.Errorf("%d outcomes say update-metadata, want 10", n)
	}
	if u := h.up.Stats().BillableUnits; u != 10 {
		t.Errorf("estimated units = %d, want 10 (the creates only)", u)
	}

	sim.ResetStats()
	h.submit(mapCase(t, 1, "new text", "Closed"))
	h.flush()
	if st := sim.Stats(); st.BillableUnits != 1 || h.outcomes.all()[20].Action != mapper.ActionUpdateText {
		t.Errorf("a text change cost %d units, want 1", st.BillableUnits)
	}
}

func TestDuplicateIDsAreDeduplicatedAndTheLastVersionWins(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCase(t, 1, "v1", "New"), mapCase(t, 2, "other", "New"), mapCase(t, 1, "v2", "New"), mapCase(t, 1, "v3", "New"))
	h.flush()
	if st := sim.Stats(); st.CommentsReceived != 2 || st.Requests[commsmining.EndpointSync] != 1 {
		t.Errorf("CM received %d comments in %d requests, want 2 in 1", st.CommentsReceived, st.Requests[commsmining.EndpointSync])
	}
	c, _ := sim.Comment(project, source, mapCase(t, 1, "", "").CommentID)
	if c.Messages[0].Body != "v3" {
		t.Errorf("CM holds %q, want the last version v3", c.Messages[0].Body)
	}
	if out := h.outcomes.all(); len(out) != 4 || countBy(out, Outcome[string].Delivered) != 4 {
		t.Errorf("outcomes = %+v, want 4 delivered (each token reported once)", out)
	}
}

func TestANewVersionWaitsWhileItsPredecessorIsInFlight(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Delay: 200 * time.Millisecond})
	h := newHarness(t, sim, Config{Linger: -1, MaxConcurrentRequests: 4}, Options[string]{})
	h.submit(mapCase(t, 1, "v1", "New"))
	for sim.Stats().Requests[commsmining.EndpointSync] == 0 {
		time.Sleep(time.Millisecond) // until v1 is on the wire
	}
	h.submit(mapCase(t, 1, "v2", "New"))
	h.flush()
	c, _ := sim.Comment(project, source, mapCase(t, 1, "", "").CommentID)
	if c.Messages[0].Body != "v2" {
		t.Errorf("CM holds %q: v2 overtook v1 in flight", c.Messages[0].Body)
	}
	if n := sim.Stats().Requests[commsmining.EndpointSync]; n != 2 {
		t.Errorf("%d sync requests, want 2", n)
	}
}

func TestARevertedVersionIsSentEvenIfTheStoreStillHoldsIt(t *testing.T) {
	t.Parallel()
	// v1 is stored; v2 goes in flight; v1 again arrives. Compared with the
	// store it looks unchanged, but CM will hold v2, so it must be sent.
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{Linger: -1}, Options[string]{})
	h.submit(mapCase(t, 1, "v1", "New"))
	h.flush()
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Delay: 200 * time.Millisecond})
	h.submit(mapCase(t, 1, "v2", "New"))
	for sim.Stats().Requests[commsmining.EndpointSync] < 2 {
		time.Sleep(time.Millisecond)
	}
	h.submit(mapCase(t, 1, "v1", "New"))
	h.flush()
	c, _ := sim.Comment(project, source, mapCase(t, 1, "", "").CommentID)
	if c.Messages[0].Body != "v1" {
		t.Errorf("CM holds %q, want v1", c.Messages[0].Body)
	}
}

func TestDeletesRemoveCommentsAndForgetTheirHashes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCases(t, 3, "text", "New")...)
	h.flush()
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	h.submit(del)
	h.submit(del) // a second delete of a comment already gone is fine
	h.flush()
	if n := len(sim.Comments(project, source)); n != 2 || h.hashes.Len() != 2 {
		t.Errorf("CM holds %d comments, store knows %d; want 2 and 2", n, h.hashes.Len())
	}
	h.submit(mapCase(t, 1, "text", "New")) // the record is restored
	h.flush()
	out := h.outcomes.all()
	if last := out[len(out)-1]; last.Action != mapper.ActionCreate || !last.Delivered() {
		t.Errorf("restored record: %+v, want a delivered create", last)
	}
	if countBy(out, func(o Outcome[string]) bool { return o.Action == mapper.ActionDelete && o.Delivered() }) != 2 {
		t.Errorf("deletes were not reported delivered: %+v", out)
	}
}

func TestKeptDeletesAndInvalidItemsAreReportedAtOnce(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapper.Result{Kind: mapper.ResultKeep, CommentID: "sf.Case.1"}, mapper.Result{CommentID: "sf.Case.2"})
	h.flush()
	out := h.outcomes.all()
	if len(out) != 2 || !out[0].Delivered() || out[0].Action != mapper.ActionNone || !out[1].DeadLettered() {
		t.Errorf("outcomes = %+v", out)
	}
	if sim.Stats().Requests[commsmining.EndpointSync] != 0 {
		t.Error("a request was sent for nothing")
	}
}

func TestStoppingReportsEveryItemAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{}, Options[string]{}) // Linger is an hour: nothing leaves before stop
	h.submit(mapCases(t, 50, "text", "New")...)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	out := h.outcomes.all()
	if len(out) != 50 || countBy(out, func(o Outcome[string]) bool { return errors.Is(o.Err, ErrStopped) }) != 50 {
		t.Errorf("%d outcomes, want 50 with ErrStopped", len(out))
	}
	if err := h.up.Submit(context.Background(), Item[string]{Result: mapCase(t, 1, "x", "New")}); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after stop = %v, want ErrStopped", err)
	}
}

func TestBothBaseURLFormsReachTheSource(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/myorg/mytenant/reinfer_"} {
		sim := startSim(t, commsmining.Options{PathPrefix: prefix})
		h := newHarness(t, sim, Config{BaseURL: sim.URL() + "/"}, Options[string]{})
		h.submit(mapCase(t, 1, "x", "New"))
		h.flush()
		if !h.outcomes.all()[0].Delivered() {
			t.Errorf("base URL %s: not delivered", sim.URL())
		}
	}
}

// While the hash store cannot be read, the uploader cannot know whether it
// holds hashes of a version a request would replace, so nothing is sent
// (nothing is lost either: the items wait); once it answers, everything
// goes through, and it then saves the requests of unchanged comments.
func TestAnUnreachableHashStoreHoldsUploadsUntilItAnswers(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	store := &switchableStore{MemoryHashStore: NewMemoryHashStore()}
	store.down.Store(true)
	h := newHarness(t, sim, Config{Linger: -1}, Options[string]{Hashes: store})
	h.submit(mapCases(t, 5, "x", "New")...)
	h.awaitRetries(3)
	if n := sim.Stats().Requests[commsmining.EndpointSync]; n != 0 || len(h.outcomes.all()) != 0 {
		t.Fatalf("%d sync requests and %d outcomes while the store was down, want none", n, len(h.outcomes.all()))
	}
	store.down.Store(false)
	h.flush()
	sent := sim.Stats().Requests[commsmining.EndpointSync]
	h.submit(mapCases(t, 5, "x", "New")...)
	h.flush()
	if st := sim.Stats(); st.New != 5 || st.Unchanged != 0 || st.BillableUnits != 5 || st.Requests[commsmining.EndpointSync] != sent {
		t.Errorf("CM stats %+v: want 5 new and 5 units, and the unchanged second submission not sent (%d requests before it)", st, sent)
	}
	if n := countBy(h.outcomes.all(), Outcome[string].Delivered); n != 10 {
		t.Errorf("%d of 10 delivered", n)
	}
}

// switchableStore is a MemoryHashStore that fails every call while down.
type switchableStore struct {
	*MemoryHashStore
	down atomic.Bool
}

var errStoreDown = errors.New("store down")

func (s *switchableStore) Get(ctx context.Context, ids []string) (map[string]mapper.Hashes, error) {
	if s.down.Load() {
		return nil, errStoreDown
	}
	return s.MemoryHashStore.Get(ctx, ids)
}

func (s *switchableStore) Put(ctx context.Context, hashes map[string]mapper.Hashes) error {
	if s.down.Load() {
		return errStoreDown
	}
	return s.MemoryHashStore.Put(ctx, hashes)
}

func (s *switchableStore) Delete(ctx context.Context, ids []string) error {
	if s.down.Load() {
		return errStoreDown
	}
	return s.MemoryHashStore.Delete(ctx, ids)
}

func TestConcurrentRequestsAreCapped(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Delay: 20 * time.Millisecond, Times: 1000})
	h := newHarness(t, sim, Config{MaxBatchComments: 50, MaxConcurrentRequests: 2, Linger: -1}, Options[string]{})
	h.submit(mapCases(t, 1000, "x", "New")...)
	h.flush()
	if st := sim.Stats(); st.PeakInFlight != 2 {
		t.Errorf("peak requests in flight = %d, want the cap of 2 (and no fewer: requests overlap)", st.PeakInFlight)
	}
}

func TestCommentsCollectWhileARequestIsInFlight(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Delay: 200 * time.Millisecond})
	h := newHarness(t, sim, Config{MaxConcurrentRequests: 1, Linger: -1}, Options[string]{})
	results := mapCases(t, 1000, "x", "New")
	h.submit(results[0]) // leaves at once, and is slow
	for sim.Stats().Requests[commsmining.EndpointSync] == 0 {
		time.Sleep(time.Millisecond)
	}
	h.submit(results[1:]...)
	h.flush()
	if n := sim.Stats().Requests[commsmining.EndpointSync]; n != 2 {
		t.Errorf("%d sync requests, want 2: the 999 comments submitted during the first request go together", n)
	}
}

// flakyStore is a MemoryHashStore whose Delete and Put fail while their
// failure counts last, as a Redis that is briefly down does.
type flakyStore struct {
	*MemoryHashStore
	mu                          sync.Mutex
	deleteFailures, putFailures int
}

func (f *flakyStore) take(n *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := *n > 0
	*n--
	return fail
}

func (f *flakyStore) Delete(ctx context.Context, ids []string) error {
	if f.take(&f.deleteFailures) {
		return errors.New("store down")
	}
	return f.MemoryHashStore.Delete(ctx, ids)
}

func (f *flakyStore) Put(ctx context.Context, hashes map[string]mapper.Hashes) error {
	if f.take(&f.putFailures) {
		return errors.New("store down")
	}
	return f.MemoryHashStore.Put(ctx, hashes)
}

// A delete is done only once the comment's hashes are forgotten: hashes
// left behind would make a restored record look unchanged, and CM would
// never get its comment back (found by the fault suite with Redis down
// while a delete was handled).
func TestADeleteIsDoneOnlyOnceItsHashesAreForgotten(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	store := &flakyStore{MemoryHashStore: NewMemoryHashStore(), deleteFailures: 3}
	h := newHarness(t, sim, Config{}, Options[string]{Hashes: store})
	h.submit(mapCase(t, 1, "text", "New"))
	h.flush()
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	h.submit(del)
	h.flush()
	if store.Len() != 0 {
		t.Fatalf("the store still holds %d hashes after the delete was reported", store.Len())
	}
	h.submit(mapCase(t, 1, "text", "New")) // the record is restored with the same text
	h.flush()
	if c, ok := sim.Comment(project, source, mapCase(t, 1, "", "").CommentID); !ok || c.Messages[0].Body != "text" {
		t.Fatalf("the restored record's comment is not in CM: %+v, %v", c, ok)
	}
	if n := len(h.sleeps.waits()); n < 3 {
		t.Errorf("%d retry waits, want at least 3 (one per failed forget)", n)
	}
}

// When the hashes cannot be forgotten before the uploader stops, the
// delete is neither sent nor reported done: its event stays before the
// checkpoint. A later run then receives the delete and the record's
// restoration together; the restored version must be in CM at the end
// (found by the fault suite: CM had deleted the comment, the hashes stayed,
// and the restored record was judged unchanged).
func TestADeleteWhoseHashesCannotBeForgottenIsNotSent(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	store := &flakyStore{MemoryHashStore: NewMemoryHashStore()}
	h := newHarness(t, sim, Config{Linger: -1}, Options[string]{Hashes: store})
	restored := mapCase(t, 1, "text", "New")
	h.submit(restored)
	h.flush()
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	store.deleteFailures = 1 << 30
	store.mu.Unlock()
	h.submit(del)
	h.awaitRetries(1)
	_ = h.stop()
	out := h.outcomes.all()
	last := out[len(out)-1]
	if last.Action != mapper.ActionDelete || last.Delivered() || !errors.Is(last.Err, ErrStopped) {
		t.Fatalf("delete outcome %+v, want not delivered with ErrStopped", last)
	}
	if _, ok := sim.Comment(project, source, restored.CommentID); !ok {
		t.Fatal("CM deleted the comment although its hashes stayed in the store")
	}

	store.mu.Lock()
	store.deleteFailures = 0
	store.mu.Unlock()
	again := newHarness(t, sim, Config{}, Options[string]{Hashes: store})
	again.submit(del, restored) // replayed from the checkpoint: delete, then undelete
	again.flush()
	if c, ok := sim.Comment(project, source, restored.CommentID); !ok || c.Messages[0].Body != "text" {
		t.Fatalf("the restored record's comment is not in CM: %+v, %v", c, ok)
	}
}

// Hashes that could not be stored after an update must not stay behind
// describing the version before it: a return to that text would look
// unchanged and CM would keep the newer one.
func TestAVersionWhoseHashesCouldNotBeStoredIsNotComparedWithTheOldOnes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	store := &flakyStore{MemoryHashStore: NewMemoryHashStore()}
	h := newHarness(t, sim, Config{}, Options[string]{Hashes: store})
	h.submit(mapCase(t, 1, "first", "New"))
	h.flush()
	store.mu.Lock()
	store.putFailures = 1
	store.mu.Unlock()
	h.submit(mapCase(t, 1, "second", "New"))
	h.flush()
	h.submit(mapCase(t, 1, "first", "New")) // the text is changed back
	h.flush()
	c, ok := sim.Comment(project, source, mapCase(t, 1, "", "").CommentID)
	if !ok || c.Messages[0].Body != "first" {
		t.Fatalf("CM holds %+v (%v), want the text changed back to \"first\"", c, ok)
	}
	if n := countBy(h.outcomes.all(), Outcome[string].Delivered); n != 3 {
		t.Errorf("%d of 3 versions delivered", n)
	}
}

// Forgetting content hashes is a state store request, not a CM one: an
// operator reading "CM request failed" looks at CM while Redis is down.
func TestAFailedForgetOfContentHashesIsLoggedAsAStoreFailure(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	store := &flakyStore{MemoryHashStore: NewMemoryHashStore()}
	var logs syncBuffer
	h := newHarness(t, sim, Config{}, Options[string]{Hashes: store, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h.submit(mapCase(t, 1, "text", "New"))
	h.flush()
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(1, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	store.deleteFailures = 1
	store.mu.Unlock()
	h.submit(del)
	h.flush()
	out := logs.String()
	if !strings.Contains(out, "state store request failed; retrying") || strings.Contains(out, "CM request failed") {
		t.Fatalf("log:\n%s\nwant the failed forget logged as a state store failure, never as a CM request", out)
	}
}

// A stopped uploader sends nothing more, even what was submitted just
// before the stop (Ctrl-C on `sfcdc backfill` sent comments after it). Run
// with its context already ended meets the stop and the queued comment at
// once; it used to pick either at random, so the case runs 20 times.
func TestNothingSubmittedIsSentOnceTheUploaderIsStopped(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	for i := range 20 {
		var reported []Outcome[int]
		up, err := New(Config{BaseURL: sim.URL(), Token: Secret(sim.Token()), Project: project, Source: source, Linger: -1},
			Options[int]{Hashes: NewMemoryHashStore(), Report: func(o Outcome[int]) { reported = append(reported, o) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := up.Submit(t.Context(), Item[int]{Result: mapCase(t, i, "text", "New"), Token: i}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := up.Run(ctx); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if n := sim.Stats().Requests[commsmining.EndpointSync]; n != 0 {
			t.Fatalf("run %d: CM received %d sync requests after the stop, want none", i, n)
		}
		if len(reported) != 1 || !errors.Is(reported[0].Err, ErrStopped) {
			t.Fatalf("run %d: outcomes %+v, want the comment reported stopped", i, reported)
		}
	}
}
