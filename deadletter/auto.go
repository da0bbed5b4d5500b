package deadletter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// Run retries the org's dead letters as they fall due until ctx ends, then
// returns nil once every goroutine it started has ended. It works only
// while it holds the lease LeaseName: another instance holding it makes
// this one stand by, trying again every LeaseTTL. A lost lease stops the
// pass in progress (the dead letter being retried is kept unchanged) and
// sends it back to standing by. Failures of the store or of a retry are
// logged and retried; Run never stops the daemon.
func (r *Retrier) Run(ctx context.Context) error {
	if r.cfg.Holder == "" {
		return errors.New("run dead-letter retrier: holder: name this process for the retrier's lease")
	}
	for {
		lease, err := r.opts.Store.AcquireLease(ctx, r.cfg.Org, LeaseName, r.cfg.Holder, r.cfg.LeaseTTL)
		var held *replay.LeaseHeldError
		switch {
		case ctx.Err() != nil:
			if err == nil {
				r.release(lease)
			}
			return nil
		case errors.As(err, &held):
			r.log.Debug("another instance retries the dead letters; standing by", "holder", held.Holder)
		case err != nil:
			r.log.Warn("acquire the dead-letter retrier's lease; trying again", "err", err, "after", r.cfg.LeaseTTL)
		default:
			r.log.Info("retrying dead letters automatically", "first_after", r.cfg.Policy.RetryAfter,
				"max_backoff", r.cfg.Policy.MaxBackoff, "max_attempts", r.cfg.Policy.MaxAttempts)
			r.hold(ctx, lease)
			if ctx.Err() != nil {
				return nil
			}
		}
		if sleep(ctx, r.cfg.LeaseTTL) != nil {
			return nil
		}
	}
}

// hold works under lease until ctx ends or the lease is lost; the Renewer
// renews it (a refused renewal or a passed deadline cancels the work).
func (r *Retrier) hold(ctx context.Context, lease replay.Lease) {
	workCtx, lose := context.WithCancel(ctx)
	defer lose()
	renewer := r.opts.Renewer
	if renewer == nil {
		renewer = &replay.Renewer{}
	}
	var mu sync.Mutex
	var lost bool
	held := renewer.Hold(r.opts.Store, lease, func(next replay.Lease, err error) {
		switch {
		case err == nil:
			mu.Lock()
			lease = next
			mu.Unlock()
		case errors.Is(err, replay.ErrFenced) || errors.Is(err, replay.ErrLeaseDeadline):
			r.log.Warn("dead-letter retrier's lease lost; standing by", "err", err)
			mu.Lock()
			lost = true
			mu.Unlock()
			lose()
		default:
			r.log.Warn("renew the dead-letter retrier's lease; retrying", "err", err)
		}
	})
	r.work(workCtx)
	held.Stop()
	if !lost {
		r.release(lease)
	}
}

func (r *Retrier) release(lease replay.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.opts.Store.ReleaseLease(ctx, lease); err != nil {
		r.log.Warn("release the dead-letter retrier's lease", "err", err)
	}
}

// work retries what is due, then waits for the next due time (at most
// ScanInterval), until ctx ends.
func (r *Retrier) work(ctx context.Context) {
	for {
		next, err := r.RetryDue(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := r.cfg.ScanInterval
		switch {
		case err != nil:
			// The store failed: look again only after a whole interval.
			r.log.Warn("retry due dead letters; trying again", "err", err, "after", wait)
		case !next.IsZero():
			wait = min(wait, next.Sub(r.opts.Clock.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.opts.Clock.After(wait):
		}
	}
}

// RetryDue retries, once, the dead letters that are due by the Clock and
// not parked (at most BatchSize, the earliest due first), parking those
// that used up their attempts or that no retry can help. It returns the
// earliest due time of those left (zero: none).
func (r *Retrier) RetryDue(ctx context.Context) (time.Time, error) {
	now := r.opts.Clock.Now()
	var due []replay.DeadLetter
	var next time.Time
	err := Each(ctx, r.opts.Store, r.cfg.Org, func(d replay.DeadLetter) bool {
		if d.Parked {
			return true
		}
		if at := r.cfg.Policy.Due(d); at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			return true
		}
		due = append(due, d)
		return true
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("list due dead letters: %w", err)
	}
	if len(due) == 0 {
		return next, nil
	}
	slices.SortStableFunc(due, func(a, b replay.DeadLetter) int { return r.cfg.Policy.Due(a).Compare(r.cfg.Policy.Due(b)) })
	if len(due) > r.cfg.BatchSize {
		next = now // the rest are due already
		due = due[:r.cfg.BatchSize]
	}
	p := &pass{Retrier: r, park: true, report: r.logResult}
	if err := p.retryRecords(ctx, recordsOf(due, true)); err != nil {
		return next, err
	}
	if err := p.retryEvents(ctx, recordsOf(due, false)); err != nil {
		return next, err
	}
	// A failed retry scheduled a later attempt: look again soon.
	if p.tally.Failed > 0 || p.tally.Interrupted > 0 {
		next = now
	}
	return next, nil
}

// recordsOf picks the record dead letters (or, with records false, the
// event ones) in arrival order.
func recordsOf(dls []replay.DeadLetter, records bool) []replay.DeadLetter {
	var out []replay.DeadLetter
	for _, d := range dls {
		if (d.Object != "" && d.RecordID != "") == records {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, byArrival)
	return out
}

// logResult logs what the automatic retrier did with one dead letter.
func (r *Retrier) logResult(res Result) {
	d := res.DeadLetter
	attrs := []any{"id", d.ID, "reason", d.Reason, "object", d.Object, "record", d.RecordID, "topic", d.Topic}
	switch {
	case res.Outcome == Done:
		r.log.Info("dead letter retried and delivered; deleted", append(attrs, "detail", res.Detail)...)
	case res.Gone:
		r.log.Info("dead letter failed again but was deleted meanwhile", append(attrs, "err", res.Detail)...)
	case res.After.Parked:
		r.log.Warn("dead letter parked: no more automatic retries; `sfcdc deadletters retry --id ID` retries it once its cause is fixed",
			append(attrs, "attempts", res.After.Attempts, "err", res.Detail)...)
	case res.Outcome == Failed:
		r.log.Warn("dead letter retry failed; retrying later", append(attrs, "attempts", res.After.Attempts,
			"next_attempt", res.After.NextAttemptAt, "err", res.Detail)...)
	}
}

// sleep waits d on the wall clock, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
