package backfill

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
)

// retryPolicy bounds the retries of a backfill call: transient failures
// are retried with the retry package's backoff (1 s doubling to 1 min, with
// jitter), six attempts in all, then the run stops (the watermark holds, so
// nothing is lost). A one-shot run must end; a minute or so of retries
// covers a failover or a restart.
var retryPolicy = retry.Policy{Initial: time.Second, Max: time.Minute, MaxAttempts: 6}

// retrier is the one place in the backfill that retries (the Salesforce
// client and the store do not, besides a session refresh and go-redis's
// reconnects), so no failure is retried at two layers.
type retrier struct {
	sleep func(context.Context, time.Duration) error
	log   *slog.Logger
}

// do runs try until it succeeds, fails for a reason transient does not
// accept, or has failed the policy's attempts.
func (r retrier) do(ctx context.Context, what string, transient func(error) bool, try func(context.Context) error) error {
	policy := retryPolicy
	policy.Sleep = r.sleep
	return policy.Do(ctx, retry.Call{Retryable: transient, OnRetry: func(f retry.Failure) {
		r.log.Warn("backfill call failed; retrying", "call", what, "attempt", f.Attempt, "wait", f.Wait, "error", f.Err)
	}}, try)
}

// transientSalesforce accepts what salesforce.Classify calls transient:
// server errors, network errors, cut answers, a session refresh that is
// backing off after such a failure. A limit (REQUEST_LIMIT_EXCEEDED) and
// a fatal refusal need a decision, not a retry.
func transientSalesforce(err error) bool {
	return salesforce.Classify(err) == salesforce.Transient
}

// transientStore accepts every store failure except an answer (not found)
// and a refused argument or corrupt value: Redis failovers and restarts
// pass, a bug does not.
func transientStore(err error) bool {
	return !errors.Is(err, replay.ErrNotFound) && !errors.Is(err, replay.ErrInvalid) && !errors.Is(err, replay.ErrCorrupt)
}
