package uploader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/retry"
)

// Item is one mapping result to deliver. T is the caller's token type:
// the uploader never looks at a token, it hands it back in the item's
// Outcome with its type intact, so the caller needs no type assertion.
type Item[T any] struct {
	// Result is what the mapper produced: an upsert (Comment JSON and
	// hashes), a delete, or a keep (reported at once, nothing to do).
	Result mapper.Result
	// Token is opaque to the uploader and comes back in the Outcome, e.g.
	// the event sequence the pipeline checkpoints.
	Token T
}

// Outcome is the fate of one submitted item. Exactly one is reported per
// item.
type Outcome[T any] struct {
	Token     T
	CommentID string
	// Action is what the hashes decided: create, update-text,
	// update-metadata, unchanged (skipped), delete, or none (kept).
	Action mapper.Action
	// Err is nil when CM holds this version (or an equal one, or the
	// comment is deleted); a *RejectedError for a dead letter; ErrStopped or
	// a *FatalError when it was not delivered.
	Err error
}

// Delivered reports whether the item is done and may be checkpointed
// without a dead letter.
func (o Outcome[T]) Delivered() bool { return o.Err == nil }

// DeadLettered reports whether CM refused the comment itself; the caller
// records it with the reason (o.Err) and may checkpoint past it.
func (o Outcome[T]) DeadLettered() bool {
	var rejected *RejectedError
	return errors.As(o.Err, &rejected)
}

// Options are the uploader's collaborators. All are optional.
type Options[T any] struct {
	// Hashes lets unchanged comments be skipped. Nil: every comment is sent.
	Hashes HashStore
	// Report receives every Outcome. Calls are serialised, so it needs no
	// locking, but it runs on the uploader's goroutines: it must be quick
	// and must not call Submit or Flush (which may wait for it). Nil:
	// outcomes are only counted.
	Report func(Outcome[T])
	// HTTPClient sends the requests. It must not retry on its own. Nil: a
	// client that does not follow redirects.
	HTTPClient *http.Client
	// Logger receives warnings about retries and dead letters. Nil: discard.
	Logger *slog.Logger
	// Sleep waits between retries. Nil: a real timer. Tests inject a
	// recorder to assert waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for HTTP-date Retry-After headers. Nil: time.Now.
	Now func() time.Time
	// MaySend, when set, is asked right before each request to CM leaves;
	// false: the request is not sent and its comments are reported with
	// ErrStopped (not delivered). A worker passes its lease's local
	// deadline, so a holder woken from a pause past its lease sends
	// nothing that could overwrite the newer versions its successor
	// already sent. Nil: always.
	MaySend func() bool
}

// Uploader delivers items to one CM source, each carrying a token of type
// T. Submit and Flush may be called from any goroutine; Run must be
// running for anything to be sent.
type Uploader[T any] struct {
	cfg        Config
	client     *cmClient
	ownsClient bool
	hashes     HashStore
	report     func(Outcome[T])
	log        *slog.Logger
	retry      retry.Policy // waits between attempts; no attempt or time bound
	syncCap    *batchCap    // comments per sync now; shrinks on timeouts (batchcap.go)

	intake   chan Item[T]
	wake     chan struct{} // Flush wakes the batcher so lingering batches leave
	started  atomic.Bool
	stopping chan struct{} // closed when Run begins to stop
	stopMu   sync.RWMutex  // Submit holds it shared while it may still enqueue
	stopped  bool
	flushing atomic.Int32

	waiting     *waiting[T] // ops whose comment ID has a request in flight
	outstanding outstanding
	reportMu    sync.Mutex
	counters    counters
}

// intakeBuffer bounds the intake channel's capacity. The batcher drains
// the intake into its own queue (up to a whole request) as items come, so
// the channel only holds what arrives while that queue is full; a
// capacity of MaxBatchComments (1,024 items of ~110 bytes by default,
// allocated up front) cost `sfcdc serve` over 300 MB for 3,000 idle
// topics without adding throughput (Submit simply waits a little sooner);
// 128 items still cost 43 MB there, 32 cost 11 MB.
const intakeBuffer = 32

// New checks cfg and returns an Uploader; start it with Run.
func New[T any](cfg Config, opts Options[T]) (*Uploader[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure uploader: %w", err)
	}
	cfg = cfg.withDefaults()
	u := &Uploader[T]{
		cfg: cfg, hashes: opts.Hashes, report: opts.Report, log: opts.Logger,
		retry:  retry.Policy{Initial: cfg.InitialBackoff, Max: cfg.MaxBackoff, MaxRetryAfter: cfg.MaxRetryAfter, Sleep: opts.Sleep},
		intake: make(chan Item[T], min(cfg.MaxBatchComments, intakeBuffer)), wake: make(chan struct{}, 1),
		stopping: make(chan struct{}), waiting: newWaiting[T](), syncCap: newBatchCap(cfg.MaxBatchComments),
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.retry.Sleep == nil {
		u.retry.Sleep = retry.SleepTimer
	}
	if u.report == nil {
		u.report = func(Outcome[T]) {}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc, u.ownsClient = defaultHTTPClient(cfg.MaxConcurrentRequests), true
	}
	u.client = newCMClient(cfg, hc, now, u.log)
	u.client.maySend = opts.MaySend
	return u, nil
}

// Submit queues an item. It blocks while the queue is full (back-pressure)
// and returns ErrStopped once Run has stopped, or ctx's error. When Submit
// returns nil, exactly one Outcome for the item follows.
func (u *Uploader[T]) Submit(ctx context.Context, it Item[T]) error {
	u.stopMu.RLock()
	defer u.stopMu.RUnlock()
	if u.stopped {
		return ErrStopped
	}
	u.outstanding.add()
	select {
	case u.intake <- it:
		u.counters.submitted.Add(1)
		return nil
	case <-ctx.Done():
		u.outstanding.done()
		return ctx.Err()
	case <-u.stopping:
		u.outstanding.done()
		return ErrStopped
	}
}

// Flush sends what is queued without waiting for Linger and returns when
// every item submitted so far has its Outcome, or when ctx ends.
func (u *Uploader[T]) Flush(ctx context.Context) error {
	u.flushing.Add(1)
	defer u.flushing.Add(-1)
	select {
	case u.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return u.outstanding.wait(ctx)
}

// deliver reports an outcome for every token of an op.
func (u *Uploader[T]) deliver(o *op[T], err error) {
	u.reportMu.Lock()
	defer u.reportMu.Unlock()
	for _, tok := range o.tokens {
		u.report(Outcome[T]{Token: tok, CommentID: o.id, Action: o.action, Err: err})
		u.count(o.action, err)
		u.outstanding.done()
	}
}

// reportItem reports an item that never became an op.
func (u *Uploader[T]) reportItem(it Item[T], action mapper.Action, err error) {
	u.deliver(&op[T]{id: it.Result.CommentID, action: action, tokens: []T{it.Token}}, err)
}

func (u *Uploader[T]) count(action mapper.Action, err error) {
	c := &u.counters
	var rejected *RejectedError
	switch {
	case errors.As(err, &rejected):
		c.deadLettered.Add(1)
	case err != nil:
		c.notDelivered.Add(1)
	case action == mapper.ActionUnchanged:
		c.skipped.Add(1)
	case action == mapper.ActionDelete:
		c.deleted.Add(1)
	case action == mapper.ActionCreate:
		c.delivered.Add(1)
		c.creates.Add(1)
	case action == mapper.ActionUpdateText:
		c.delivered.Add(1)
		c.textUpdates.Add(1)
	case action == mapper.ActionUpdateMetadata:
		c.delivered.Add(1)
		c.metadataUpdates.Add(1)
	}
}

// outstanding counts submitted items without an outcome, for Flush.
type outstanding struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

func (o *outstanding) add() {
	o.mu.Lock()
	o.n++
	o.mu.Unlock()
}

func (o *outstanding) done() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n--
	if o.n == 0 {
		for _, w := range o.waiters {
			close(w)
		}
		o.waiters = nil
	}
}

func (o *outstanding) wait(ctx context.Context) error {
	o.mu.Lock()
	if o.n == 0 {
		o.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	o.waiters = append(o.waiters, w)
	o.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
