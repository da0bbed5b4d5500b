package backfill

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Retry bounds: transient failures are retried with exponential backoff
// and jitter, at most maxAttempts times in all, then the run stops (the
// watermark holds, so nothing is lost).
const (
	maxAttempts    = 6
	initialBackoff = time.Second
	maxBackoff     = time.Minute
)

// retrier is the one place in the backfill that retries (the Salesforce
// client and the store do not, besides a session refresh and go-redis's
// reconnects), so no failure is retried at two layers.
type retrier struct {
	sleep func(context.Context, time.Duration) error
	log   *slog.Logger
}

// do runs try until it succeeds, fails for a reason transient does not
// accept, or has failed maxAttempts times.
func (r retrier) do(ctx context.Context, what string, transient func(error) bool, try func(context.Context) error) error {
	bo := &backoff.ExponentialBackOff{InitialInterval: initialBackoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: maxBackoff}
	bo.Reset()
	for attempt := 1; ; attempt++ {
		err := try(ctx)
		if err == nil || ctx.Err() != nil || !transient(err) || attempt == maxAttempts {
			return err
		}
		wait := bo.NextBackOff()
		r.log.Warn("backfill call failed; retrying", "call", what, "attempt", attempt, "wait", wait, "error", err)
		if serr := r.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// transientSalesforce accepts server errors, network errors, cut answers
// and a session refresh that is backing off; everything else (bad query,
// refused credentials, limits) needs a decision, not a retry.
func transientSalesforce(err error) bool {
	var api *salesforce.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500
	}
	var oauth *salesforce.OAuthError
	if errors.As(err, &oauth) {
		return !oauth.Permanent()
	}
	if errors.Is(err, salesforce.ErrRefreshBackoff) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var netErr net.Error
	var urlErr *url.Error
	return errors.As(err, &netErr) || errors.As(err, &urlErr)
}

// transientStore accepts every store failure except an answer (not found)
// and a refused argument or corrupt value: Redis failovers and restarts
// pass, a bug does not.
func transientStore(err error) bool {
	return !errors.Is(err, replay.ErrNotFound) && !errors.Is(err, replay.ErrInvalid) && !errors.Is(err, replay.ErrCorrupt)
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
