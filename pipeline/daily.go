package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
)

// dailyTally counts the comments CM accepted per UTC day and adds them to
// the store (replay.DailyStore) in batches: the outcome path only adds to
// a map under a mutex (never a store write per comment), and the daemon's
// flusher writes what gathered every DailyInterval and once more when it
// stops. A crash loses at most one interval's counts; a failed write keeps
// them for the next flush.
type dailyTally struct {
	store replay.DailyStore
	org   string
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	pending map[int64]pendingDay // by UTC day number (days since 1970), no allocation per comment
	// The flush timer is armed by the first count after a flush, not
	// ticking: the daemons of a thousand idle integrations in one sfcdc
	// serve then wake for nothing (a ticker each was 200 wake-ups a second).
	timer    *time.Timer
	flushCtx context.Context
	interval time.Duration
	running  bool       // between start and its stop
	armed    bool       // the timer will fire
	fireMu   sync.Mutex // held while a timed flush runs; stop takes it
}

type pendingDay struct {
	day    time.Time
	counts replay.DailyCounts
}

func newDailyTally(store replay.DailyStore, org string, now func() time.Time, log *slog.Logger) *dailyTally {
	if store == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &dailyTally{store: store, org: org, now: now, log: log, pending: map[int64]pendingDay{}}
}

// action counts n comments of a sent action (nil-safe: a worker without a
// daemon keeps no daily counts).
func (t *dailyTally) action(a mapper.Action, n int64) {
	if t == nil || n <= 0 {
		return
	}
	var c replay.DailyCounts
	switch a {
	case mapper.ActionCreate, mapper.ActionUpdateText:
		c = replay.DailyCounts{Comments: n, Billable: n}
	case mapper.ActionUpdateMetadata:
		c = replay.DailyCounts{Comments: n}
	default:
		return
	}
	day := t.now().UTC()
	key := dayNumber(day)
	t.mu.Lock()
	p := t.pending[key]
	p.day = day
	p.counts.Comments += c.Comments
	p.counts.Billable += c.Billable
	t.pending[key] = p
	t.armLocked()
	t.mu.Unlock()
}

// armLocked arms the flush timer if counts wait and it is not armed. t.mu held.
func (t *dailyTally) armLocked() {
	if t.running && !t.armed && len(t.pending) > 0 {
		t.armed = true
		t.timer.Reset(t.interval)
	}
}

// flush adds every pending day's counts to the store, one write per day;
// a day whose write fails is kept (and added to) for the next flush.
func (t *dailyTally) flush(ctx context.Context) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if len(t.pending) == 0 {
		t.mu.Unlock()
		return
	}
	batch := t.pending
	t.pending = map[int64]pendingDay{}
	t.mu.Unlock()
	for key, p := range batch {
		if p.counts.IsZero() {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := t.store.AddDaily(wctx, t.org, p.day, p.counts)
		cancel()
		if err == nil {
			continue
		}
		t.log.Warn("add today's comment counts; kept for the next try", "day", p.day.Format(time.DateOnly), "err", err)
		t.mu.Lock()
		q := t.pending[key]
		q.day = p.day
		q.counts.Comments += p.counts.Comments
		q.counts.Billable += p.counts.Billable
		t.pending[key] = q
		t.mu.Unlock()
	}
}

// start flushes what gathered an interval after the first count since the
// last flush (on a timer armed by that count: no goroutine, and no
// wake-up, while nothing is counted); the caller stops it, then flushes a
// last time. When stop returns no timed flush runs and none will.
func (t *dailyTally) start(ctx context.Context, interval time.Duration) (stop func()) {
	if t == nil {
		return func() {}
	}
	t.mu.Lock()
	t.flushCtx, t.interval, t.running = ctx, interval, true
	t.timer = time.AfterFunc(time.Hour, t.fire)
	t.timer.Stop()
	t.armLocked()
	t.mu.Unlock()
	return func() {
		t.fireMu.Lock()
		defer t.fireMu.Unlock()
		t.mu.Lock()
		defer t.mu.Unlock()
		t.running = false
		t.timer.Stop()
	}
}

// fire is the timed flush; a count that comes meanwhile, or a day whose
// write failed, arms the timer again.
func (t *dailyTally) fire() {
	t.fireMu.Lock()
	defer t.fireMu.Unlock()
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		return
	}
	t.armed = false
	t.mu.Unlock()
	t.flush(t.flushCtx)
	t.mu.Lock()
	t.armLocked()
	t.mu.Unlock()
}

// dayNumber is t's UTC day as days since 1970-01-01.
func dayNumber(t time.Time) int64 {
	d := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		d-- // before 1970: round down, not toward zero
	}
	return d
}
