package uploader

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// withRetries runs try until it succeeds or fails for a reason other than
// a transient one, waiting between attempts with exponential backoff and
// upward jitter (jitteredWait), or as long as Retry-After asks. Each attempt gets its own
// RequestTimeout. Once env.waitCtx ends (Run is stopping), no new attempt
// starts and the result is ErrStopped.
func (u *Uploader) withRetries(env *sendEnv, what string, try func(context.Context) error) error {
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     u.cfg.InitialBackoff,
		RandomizationFactor: 0, // its jitter goes below InitialInterval; jitteredWait adds ours
		Multiplier:          2,
		MaxInterval:         u.cfg.MaxBackoff,
	}
	bo.Reset()
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(env.ctx, u.cfg.RequestTimeout)
		err := try(attemptCtx)
		cancel()
		var te *transientError
		if !errors.As(err, &te) {
			return err
		}
		if env.waitCtx.Err() != nil {
			return fmt.Errorf("%w: %v", ErrStopped, err)
		}
		wait := u.retryWait(bo, te)
		u.counters.retries.Add(1)
		msg := "CM request failed; retrying"
		if what == forgetHashesRequest {
			msg = "state store request failed; retrying"
		}
		u.log.Warn(msg, "request", what, "attempt", attempt, "wait", wait, "error", err)
		if err := u.sleep(env.waitCtx, wait); err != nil {
			return fmt.Errorf("%w: %v", ErrStopped, err)
		}
	}
}

// retryWait honours Retry-After (capped at MaxRetryAfter, and never below
// InitialBackoff, so no answer can make us retry in a tight loop) and
// otherwise jitters the next backoff interval.
func (u *Uploader) retryWait(bo *backoff.ExponentialBackOff, te *transientError) time.Duration {
	if te.hasAfter {
		return max(min(te.retryAfter, u.cfg.MaxRetryAfter), u.cfg.InitialBackoff)
	}
	return jitteredWait(bo.NextBackOff(), u.cfg.InitialBackoff, u.cfg.MaxBackoff, rand.Float64())
}

// jitteredWait draws a wait for the backoff interval d (InitialBackoff
// doubled per attempt, at most MaxBackoff) that keeps both documented
// bounds: never below InitialBackoff, never above MaxBackoff. The jitter
// only adds, up to half of d (cenkalti/backoff's RandomizationFactor also
// takes away, so a 1 s initial_backoff waited 0.5 s). Near the cap, where
// adding is not possible, the range is the last third below MaxBackoff,
// so that instances failing together still spread out. random is in [0, 1).
func jitteredWait(d, initial, maxWait time.Duration, random float64) time.Duration {
	hi := min(d+d/2, maxWait)
	lo := max(min(d, hi-hi/3), initial)
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(random*float64(hi-lo))
}

// sleepTimer is the real Options.Sleep.
func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
