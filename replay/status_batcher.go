package replay

import (
	"context"
	"sync"
	"time"
)

// StatusBatcher writes the status documents of many topics in few round
// trips: one process running thousands of topics (sfcdc serve) writes
// every due document in one SaveStatuses call per store, on one timer,
// instead of one transaction per topic on a timer per topic.
//
// Each registered topic's document is written soon after it is registered,
// within Linger of each Changed, and at least every Interval; a round that
// a due or changed document starts takes along every document written at
// least half an Interval ago, so topics registered at different times fall
// into one round within two, and none is written more often than every
// half Interval unless it changed. Documents of Scoped views are written
// to the store under them, so the scopes of every integration share one
// call.
//
// It holds no goroutine: a time.AfterFunc timer runs each round, armed only
// while a topic is registered. The zero StatusBatcher is ready to use; safe
// for concurrent use.
type StatusBatcher struct {
	// Interval is the longest a registered topic's document goes without
	// being written again. Zero: 5 s.
	Interval time.Duration
	// Linger is how long a changed document waits for others to share its
	// round trip. Zero: none, the round starts at once (as a lone topic's
	// writer would).
	Linger time.Duration

	mu     sync.Mutex
	regs   map[*StatusReg]struct{}
	timer  *time.Timer
	fireAt time.Time // when the armed timer fires; zero: not armed

	writing sync.Mutex // held while a round writes; Stop waits on it
}

// StatusReg is one topic a StatusBatcher writes; Changed asks for a write
// soon, Stop ends them.
type StatusReg struct {
	b     *StatusBatcher
	store StatusStore // where the writes go: the store under every Scoped
	org   string      // as store names it
	topic string
	read  func() (Status, bool)
	done  func(error)

	changed bool      // b.mu
	last    time.Time // when the last round with this topic started; b.mu
}

// Register starts writing org's topic's document to store: read returns
// the document to write, or false to skip this round (the lease is not
// held: the document is not this process's to write); done hears each
// write's outcome (after a failure the next round tries again; nil:
// ignored). Both are called
// on the batcher's timer, one round at a time, never after Stop returns;
// they must not block nor call Stop. The first write comes within Linger.
func (b *StatusBatcher) Register(store StatusStore, org, topic string, read func() (Status, bool), done func(error)) *StatusReg {
	root, rootOrg, err := rootStatus(store, org)
	if done == nil {
		done = func(error) {}
	}
	r := &StatusReg{b: b, store: root, org: rootOrg, topic: topic, read: read, done: done, changed: true}
	if err != nil { // an org the view refuses: every write would fail alike
		r.store, r.org = store, org
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.regs == nil {
		b.regs = map[*StatusReg]struct{}{}
	}
	b.regs[r] = struct{}{}
	b.armLocked(time.Now().Add(b.linger()))
	return r
}

// Changed asks for the topic's document to be written within Linger.
func (r *StatusReg) Changed() {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.regs[r]; !ok {
		return
	}
	r.changed = true
	b.armLocked(time.Now().Add(b.linger()))
}

// Stop ends the topic's writes: when it returns no write of it runs and
// none will, so the caller's own last write is never overwritten by an
// older document. Stopping twice is harmless.
func (r *StatusReg) Stop() {
	b := r.b
	// A round that took this topic is writing it: wait for its end.
	b.writing.Lock()
	defer b.writing.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.regs, r)
	if len(b.regs) == 0 && b.timer != nil {
		b.timer.Stop()
		b.fireAt = time.Time{}
	}
}

func (b *StatusBatcher) interval() time.Duration {
	if b.Interval > 0 {
		return b.Interval
	}
	return 5 * time.Second
}

func (b *StatusBatcher) linger() time.Duration { return max(b.Linger, 0) }

// armLocked makes the timer fire at the latest at t. b.mu held.
func (b *StatusBatcher) armLocked(t time.Time) {
	if !b.fireAt.IsZero() && !t.Before(b.fireAt) {
		return
	}
	b.fireAt = t
	if b.timer == nil {
		b.timer = time.AfterFunc(time.Until(t), b.round)
		return
	}
	b.timer.Reset(time.Until(t))
}

// round writes the due documents, with those written half an Interval ago
// or more, then arms the timer for the next.
func (b *StatusBatcher) round() {
	b.writing.Lock()
	defer b.writing.Unlock()
	now := time.Now()
	interval := b.interval()
	b.mu.Lock()
	b.fireAt = time.Time{}
	due := false
	for r := range b.regs {
		if r.changed || now.Sub(r.last) >= interval {
			due = true
			break
		}
	}
	var take []*StatusReg
	if due {
		for r := range b.regs {
			if r.changed || now.Sub(r.last) >= interval/2 {
				r.changed, r.last = false, now
				take = append(take, r)
			}
		}
	}
	b.mu.Unlock()

	byStore := map[StatusStore][]*StatusReg{}
	for _, r := range take {
		byStore[r.store] = append(byStore[r.store], r)
	}
	for store, regs := range byStore {
		b.write(store, regs)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	var next time.Time
	for r := range b.regs {
		t := r.last.Add(interval)
		if r.changed {
			t = time.Now().Add(b.linger())
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if !next.IsZero() {
		b.armLocked(next)
	}
}

// write sends regs' documents to store in one call and hands each outcome
// to its topic.
func (b *StatusBatcher) write(store StatusStore, regs []*StatusReg) {
	docs := make([]TopicStatus, 0, len(regs))
	from := make([]*StatusReg, 0, len(regs))
	for _, r := range regs {
		st, ok := r.read()
		if !ok {
			continue
		}
		docs = append(docs, TopicStatus{Org: r.org, Topic: r.topic, Status: st})
		from = append(from, r)
	}
	if len(docs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, err := range store.SaveStatuses(ctx, docs) {
		from[i].done(err)
	}
}

// rootStatus is where org's status documents of store are kept in the
// store under every view (Scoped).
func rootStatus(store StatusStore, org string) (StatusStore, string, error) {
	if v, ok := store.(interface {
		rootStatus(org string) (StatusStore, string, error)
	}); ok {
		return v.rootStatus(org)
	}
	return store, org, nil
}
