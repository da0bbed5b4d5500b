package uploader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// withRetries runs try until it succeeds or fails for a reason other than
// a transient one, waiting between attempts with exponential backoff and
// jitter, or as long as Retry-After asks. Each attempt gets its own
// RequestTimeout. Once env.waitCtx ends (Run is stopping), no new attempt
// starts and the result is ErrStopped.
func (u *Uploader) withRetries(env *sendEnv, what string, try func(context.Context) error) error {
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     u.cfg.InitialBackoff,
		RandomizationFactor: 0.5,
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
		u.log.Warn("CM request failed; retrying", "request", what, "attempt", attempt, "wait", wait, "error", err)
		if err := u.sleep(env.waitCtx, wait); err != nil {
			return fmt.Errorf("%w: %v", ErrStopped, err)
		}
	}
}

// retryWait honours Retry-After (capped at MaxRetryAfter, and never below
// InitialBackoff, so no answer can make us retry in a tight loop) and
// otherwise takes the next jittered backoff interval.
func (u *Uploader) retryWait(bo *backoff.ExponentialBackOff, te *transientError) time.Duration {
	if te.hasAfter {
		return max(min(te.retryAfter, u.cfg.MaxRetryAfter), u.cfg.InitialBackoff)
	}
	return bo.NextBackOff()
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
