package uploader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/retry"
)

// withRetries runs try until it succeeds or fails for a reason other than
// a transient one, waiting between attempts as the retry policy draws
// (exponential, jitter that only lengthens a wait, within
// InitialBackoff..MaxBackoff), or as long as Retry-After asks (within
// InitialBackoff..MaxRetryAfter). Each attempt gets its own RequestTimeout.
// Once env.waitCtx ends (Run is stopping), no new attempt starts and the
// result is ErrStopped. The policy's Backoff is used rather than its Do
// because attempts and waits run under different contexts: a request in
// flight may finish during the shutdown grace, a wait may not.
func (u *Uploader[T]) withRetries(env *sendEnv[T], what string, try func(context.Context) error) error {
	bo := u.retry.Backoff()
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
		wait := u.nextWait(bo, te)
		u.counters.retries.Add(1)
		msg := "CM request failed; retrying"
		if what == forgetHashesRequest {
			msg = "state store request failed; retrying"
		}
		u.log.Warn(msg, "request", what, "attempt", attempt, "wait", wait, "error", err)
		if err := u.retry.Sleep(env.waitCtx, wait); err != nil {
			return fmt.Errorf("%w: %v", ErrStopped, err)
		}
	}
}

// nextWait is the wait after a transient failure: as Retry-After asked,
// or drawn. The policy has no attempt or time bound, so there always is one.
func (u *Uploader[T]) nextWait(bo *retry.Backoff, te *transientError) time.Duration {
	if te.hasAfter {
		wait, _ := bo.NextAfter(te.retryAfter)
		return wait
	}
	wait, _ := bo.Next()
	return wait
}
