package uploader

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
)

// maxAdmit is how many queued items are taken at once, so that one hash
// store lookup covers many comments.
const maxAdmit = 512

// Run sends batches until ctx is cancelled or a fatal error occurs, then
// stops: Submit is refused, queued items are reported with ErrStopped (or
// the fatal error), and requests in flight get ShutdownTimeout to finish.
// It returns nil after cancellation and a *FatalError otherwise. Run may be
// called once.
func (u *Uploader[T]) Run(ctx context.Context) error {
	if !u.started.CompareAndSwap(false, true) {
		return errors.New("run uploader: already running")
	}
	// Requests in flight outlive ctx by up to ShutdownTimeout, so that a
	// shutdown does not throw away work CM may already have done.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	// No new attempt starts once Run is stopping: waits between retries end
	// with ctx, while a request already on the wire may finish.
	waitCtx, cancelWaits := context.WithCancel(sendCtx)
	defer context.AfterFunc(ctx, cancelWaits)()
	defer cancelWaits()
	b := newBatcher(u, &sendEnv[T]{ctx: sendCtx, waitCtx: waitCtx})
	err := b.loop(ctx)
	if err != nil {
		cancelSends() // after a fatal error nothing else can succeed
	}
	u.shutdown(b, err, cancelSends)
	return err
}

// sendEnv is what a sender needs besides its ops.
type sendEnv[T any] struct {
	ctx     context.Context // for requests; outlives Run's ctx by ShutdownTimeout
	waitCtx context.Context // for waits between retries; ends with Run's ctx
	fatal   func(error)     // stops Run
	waiting *waiting[T]     // newer versions of the comments in flight
}

// batcher is Run's state. Only Run's goroutine touches it, except the
// finished channel and the fatal signal, which senders use.
type batcher[T any] struct {
	u        *Uploader[T]
	env      *sendEnv[T]
	syncs    *queue[T]
	deletes  *queue[T]
	deferred *waiting[T]     // ops whose ID has a request in flight
	inFlight map[string]bool // comment IDs with a request in flight
	free     int             // request slots free
	finished chan []*op[T]   // senders hand back their ops
	senders  sync.WaitGroup
	timer    *time.Timer

	fatalOnce sync.Once
	fatal     chan struct{}
	fatalErr  error
}

func newBatcher[T any](u *Uploader[T], env *sendEnv[T]) *batcher[T] {
	t := time.NewTimer(time.Hour)
	t.Stop()
	b := &batcher[T]{
		u: u, env: env, syncs: newQueue[T](), deletes: newQueue[T](), deferred: u.waiting,
		inFlight: map[string]bool{}, free: u.cfg.MaxConcurrentRequests,
		finished: make(chan []*op[T], u.cfg.MaxConcurrentRequests), timer: t, fatal: make(chan struct{}),
	}
	env.fatal, env.waiting = b.stop, u.waiting
	return b
}

func (b *batcher[T]) loop(ctx context.Context) error {
	defer b.timer.Stop()
	for {
		// Checked before anything is dispatched: select picks at random
		// among ready cases, so items admitted (or released) after the stop
		// must not reach CM.
		if ctx.Err() != nil {
			return b.stopped()
		}
		if b.u.flushing.Load() > 0 {
			b.admitQueued(ctx)
		}
		b.dispatch(time.Now())
		var intake <-chan Item[T]
		if !b.full() {
			intake = b.u.intake
		}
		select {
		case it := <-intake:
			b.admit(ctx, b.drain(it))
		case ops := <-b.finished:
			b.free++
			b.release(ctx, ops)
		case <-b.timer.C:
		case <-b.u.wake:
		case <-b.fatal:
			return b.fatalErr
		case <-ctx.Done():
			return b.stopped()
		}
	}
}

// stopped is loop's result after its ctx ended: a fatal error that came
// with the cancellation is still the reason to report, since the caller
// must learn that CM refused it.
func (b *batcher[T]) stopped() error {
	select {
	case <-b.fatal:
		return b.fatalErr
	default:
		return nil
	}
}

// admitQueued admits every item already submitted, without waiting, so a
// Flush sends what was submitted before it in as few requests as the
// limits allow instead of a first, partial batch.
func (b *batcher[T]) admitQueued(ctx context.Context) {
	for !b.full() {
		select {
		case it := <-b.u.intake:
			b.admit(ctx, b.drain(it))
		default:
			return
		}
	}
}

// drain takes what else is queued, without waiting.
func (b *batcher[T]) drain(first Item[T]) []Item[T] {
	items := []Item[T]{first}
	for len(items) < maxAdmit {
		select {
		case it := <-b.u.intake:
			items = append(items, it)
		default:
			return items
		}
	}
	return items
}

// full reports whether a queue holds a whole request; intake pauses then.
func (b *batcher[T]) full() bool {
	cfg := &b.u.cfg
	return b.syncs.live >= b.u.syncCap.get() || b.syncs.bytes >= cfg.MaxBatchBytes ||
		b.deletes.live >= cfg.MaxDeleteIDs || b.deletes.bytes >= maxDeleteQueryBytes
}

// maxDeleteQueryBytes keeps delete URLs well under common 8 KiB limits.
const maxDeleteQueryBytes = 6000

// admit queues new items. IDs already queued are superseded, IDs in flight
// wait, and the rest are looked up in the hash store in one call.
func (b *batcher[T]) admit(ctx context.Context, items []Item[T]) {
	now := time.Now()
	var fresh []*op[T]
	for _, it := range items {
		if reason := invalidItem(it); reason != "" {
			b.u.reportItem(it, mapper.ActionNone, &RejectedError{Message: reason})
			continue
		}
		if it.Result.Kind == mapper.ResultKeep {
			b.u.reportItem(it, mapper.ActionNone, nil)
			continue
		}
		o := opFromItem(it, now)
		switch {
		case b.inFlight[o.id]:
			b.defer_(o)
		case b.queued(o.id) != nil:
			b.supersede(o)
		default:
			fresh = append(fresh, o)
		}
	}
	b.lookup(ctx, fresh)
	for _, o := range fresh {
		if b.queued(o.id) != nil { // the same ID twice in one admission
			b.supersede(o)
			continue
		}
		b.enqueue(o)
	}
}

func invalidItem[T any](it Item[T]) string {
	switch {
	case it.Result.CommentID == "":
		return "item has no comment ID"
	case it.Result.Kind == mapper.ResultUpsert && len(it.Result.JSON) == 0:
		return "item has no comment JSON"
	}
	return ""
}

func (b *batcher[T]) queued(id string) *op[T] {
	if o := b.syncs.get(id); o != nil {
		return o
	}
	return b.deletes.get(id)
}

// supersede replaces the queued op of o's ID by o. The last uploaded
// hashes are unchanged (the old op was never sent), so they carry over.
func (b *batcher[T]) supersede(o *op[T]) {
	old := b.syncs.remove(o.id)
	if old == nil {
		old = b.deletes.remove(o.id)
	}
	o.supersede(old)
	b.enqueue(o)
}

// defer_ parks o until the request for its ID finishes, unless a retry of
// that request takes it first (waiting.newest).
func (b *batcher[T]) defer_(o *op[T]) { b.deferred.park(o) }

// waiting holds the ops whose comment ID has a request in flight: at most
// one per ID, the newest (the last version wins, as in the queues). The
// batcher parks them and takes them back when the request finishes; a
// sender about to retry takes the newest versions of its comments into the
// request instead (newest), so a retried request never sends a version that
// has been superseded. A mutex guards it, since senders run on their own
// goroutines.
type waiting[T any] struct {
	mu sync.Mutex
	q  *queue[T]
	n  int // items (tokens) waiting, for tests
}

func newWaiting[T any]() *waiting[T] { return &waiting[T]{q: newQueue[T]()} }

// park adds o; a waiting op of the same ID is superseded by it.
func (w *waiting[T]) park(o *op[T]) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if old := w.q.remove(o.id); old != nil {
		w.n -= len(old.tokens)
		o.supersede(old)
	}
	w.q.push(o)
	w.n += len(o.tokens)
}

// take removes and returns the op waiting for id, if any.
func (w *waiting[T]) take(id string) *op[T] {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.takeLocked(id)
}

func (w *waiting[T]) takeLocked(id string) *op[T] {
	o := w.q.remove(id)
	if o != nil {
		w.n -= len(o.tokens)
	}
	return o
}

// all removes and returns every waiting op.
func (w *waiting[T]) all() []*op[T] {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.q.all()
	w.n = 0
	return out
}

// items counts the submitted items that wait.
func (w *waiting[T]) items() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// newest brings a sync request up to date before an attempt: each op whose
// comment has a newer version waiting is replaced by that version, which
// then stands for both (op.replace). When the newer version is a delete,
// the op leaves the request and its items wait with the delete, which
// follows when the request finishes. It returns the ops to send and
// whether they changed.
func (w *waiting[T]) newest(ops []*op[T]) ([]*op[T], bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.q.live == 0 {
		return ops, false
	}
	out := ops[:0:0]
	changed := false
	for _, o := range ops {
		newer := w.q.get(o.id)
		switch {
		case newer == nil:
			out = append(out, o)
		case newer.delete:
			newer.tokens = append(o.tokens, newer.tokens...)
			w.n += len(o.tokens)
			changed = true
		default:
			w.takeLocked(o.id)
			newer.replace(o)
			out = append(out, newer)
			changed = true
		}
	}
	return out, changed
}

// lookup fills prev/known of ops from the hash store. A failing store only
// costs requests, so it is logged and treated as empty.
func (b *batcher[T]) lookup(ctx context.Context, ops []*op[T]) {
	if b.u.hashes == nil || len(ops) == 0 {
		return
	}
	if ctx.Err() != nil {
		// Stopping: these ops are reported stopped, never sent; unsure, in
		// case one is, like after a failed lookup.
		for _, o := range ops {
			o.unsure = true
		}
		return
	}
	ids := make([]string, 0, len(ops))
	for _, o := range ops {
		ids = append(ids, o.id)
	}
	stored, err := b.u.hashes.Get(ctx, ids)
	if err != nil {
		b.u.log.Warn("hash store lookup failed; sending the comments anyway", "comments", len(ids), "error", err)
		for _, o := range ops {
			o.prev, o.known, o.unsure = mapper.Hashes{}, false, true
		}
		return
	}
	for _, o := range ops {
		o.prev, o.known = stored[o.id]
		o.unsure = false
	}
}

// enqueue decides o's action and queues it, or reports it at once when CM
// already holds this version.
func (b *batcher[T]) enqueue(o *op[T]) {
	o.action = mapper.Decide(o.result, o.prev, o.known)
	switch {
	case o.action == mapper.ActionUnchanged:
		b.u.deliver(o, nil)
	case o.delete:
		b.deletes.push(o)
	default:
		b.syncs.push(o)
	}
}

// release frees the IDs of finished ops and admits ops that waited for
// them, looking up the hashes the finished request just stored.
func (b *batcher[T]) release(ctx context.Context, done []*op[T]) {
	var waiting []*op[T]
	for _, o := range done {
		delete(b.inFlight, o.id)
		if w := b.deferred.take(o.id); w != nil {
			waiting = append(waiting, w)
		}
	}
	b.lookup(ctx, waiting)
	for _, o := range waiting {
		b.enqueue(o)
	}
}

// dispatch starts requests while slots are free and a queue is ready, and
// arms the linger timer for a queue that is not ready yet.
func (b *batcher[T]) dispatch(now time.Time) {
	cfg := &b.u.cfg
	for b.free > 0 {
		switch {
		case b.ready(b.syncs, now):
			b.start(b.syncs.cut(b.u.syncCap.get(), cfg.MaxBatchBytes), b.u.syncOps)
		case b.ready(b.deletes, now):
			b.start(b.deletes.cut(cfg.MaxDeleteIDs, maxDeleteQueryBytes), b.u.deleteOps)
		default:
			b.armTimer(now)
			return
		}
	}
}

func (b *batcher[T]) ready(q *queue[T], now time.Time) bool {
	if q.live == 0 {
		return false
	}
	linger := b.linger(q)
	return b.full() || linger < 0 || b.flushingAllAdmitted() || now.Sub(q.oldest()) >= linger
}

// flushingAllAdmitted reports a Flush with nothing left in the intake: only
// then is a partial batch sent at once. While items wait there, the loop
// admits them first (admitQueued), so a Flush of 100 deletes at 40 per
// request sends 40, 40 and 20, not 40, the 24 admitted so far, and 36.
func (b *batcher[T]) flushingAllAdmitted() bool {
	return b.u.flushing.Load() > 0 && len(b.u.intake) == 0
}

// linger is how long a batch of q waits to fill.
func (b *batcher[T]) linger(q *queue[T]) time.Duration {
	if q == b.deletes {
		return b.u.cfg.DeleteLinger
	}
	return b.u.cfg.Linger
}

// armTimer wakes the loop when the first queue's linger ends.
func (b *batcher[T]) armTimer(now time.Time) {
	var due time.Time
	for _, q := range []*queue[T]{b.syncs, b.deletes} {
		if q.live == 0 {
			continue
		}
		if at := q.oldest().Add(max(b.linger(q), 0)); due.IsZero() || at.Before(due) {
			due = at
		}
	}
	if due.IsZero() {
		return
	}
	b.timer.Reset(max(due.Sub(now), 0))
}

// start runs send on its own goroutine, owned by the batcher.
func (b *batcher[T]) start(ops []*op[T], send func(*sendEnv[T], []*op[T])) {
	b.free--
	for _, o := range ops {
		b.inFlight[o.id] = true
	}
	b.senders.Add(1)
	go func() {
		defer b.senders.Done()
		send(b.env, ops)
		b.finished <- ops // never blocks: one buffer slot per request slot
	}()
}

// stop records the first fatal error and ends the loop.
func (b *batcher[T]) stop(err error) {
	b.fatalOnce.Do(func() {
		b.fatalErr = err
		close(b.fatal)
	})
}

// shutdown refuses new items, reports everything not sent, and waits up to
// ShutdownTimeout for requests in flight.
func (u *Uploader[T]) shutdown(b *batcher[T], cause error, cancelSends context.CancelFunc) {
	close(u.stopping)
	u.stopMu.Lock() // waits for Submit calls that may still enqueue
	u.stopped = true
	u.stopMu.Unlock()
	notDelivered := ErrStopped
	if cause != nil {
		notDelivered = cause
	}
drain:
	for {
		select {
		case it := <-u.intake:
			u.reportItem(it, mapper.ActionNone, notDelivered)
		default:
			break drain
		}
	}
	for _, ops := range [][]*op[T]{b.syncs.all(), b.deletes.all(), b.deferred.all()} {
		for _, o := range ops {
			u.deliver(o, notDelivered)
		}
	}
	deadline := time.AfterFunc(u.cfg.ShutdownTimeout, cancelSends)
	b.senders.Wait()
	deadline.Stop()
	if u.ownsClient {
		u.client.http.CloseIdleConnections()
	}
}
