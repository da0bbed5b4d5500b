package retry

import (
	"context"
	"errors"
	"time"
)

// ServerWaiter is an error that carries the wait the server asked for
// before the next attempt (an HTTP Retry-After), ok false when it asked
// for none. Do finds it anywhere in the error's chain.
type ServerWaiter interface {
	ServerWait() (wait time.Duration, ok bool)
}

// Failure is one failed attempt that Do will retry, as told to OnRetry.
type Failure struct {
	Attempt int           // 1 for the first attempt
	Wait    time.Duration // before the next attempt
	Err     error
}

// Call is what Do needs to know of one kind of call besides the Policy.
type Call struct {
	// Retryable reports whether a failed attempt may succeed later. Nil:
	// every error is retried.
	Retryable func(error) bool
	// OnRetry is told of each failure that will be retried, before its wait
	// (for a log line, a counter, a status). Nil: nothing.
	OnRetry func(Failure)
}

// Do runs try until it succeeds, and returns nil; or until it fails with
// an error Retryable refuses, the Policy's attempts or elapsed time run
// out, or ctx ends (before a retry or during a wait): then it returns the
// last attempt's error. ctx bounds the waits; each attempt gets ctx too.
func (p Policy) Do(ctx context.Context, c Call, try func(context.Context) error) error {
	p = p.withDefaults()
	b := p.Backoff()
	for {
		err := try(ctx)
		if err == nil || ctx.Err() != nil || (c.Retryable != nil && !c.Retryable(err)) {
			return err
		}
		var wait time.Duration
		var ok bool
		if asked, has := ServerWait(err); has {
			wait, ok = b.NextAfter(asked)
		} else {
			wait, ok = b.Next()
		}
		if !ok {
			return err
		}
		if c.OnRetry != nil {
			c.OnRetry(Failure{Attempt: b.Failures(), Wait: wait, Err: err})
		}
		if p.Sleep(ctx, wait) != nil {
			return err
		}
	}
}

// ServerWait is the wait an error in err's chain asked for
// (ServerWaiter); ok is false when none did.
func ServerWait(err error) (time.Duration, bool) {
	var sw ServerWaiter
	if errors.As(err, &sw) {
		return sw.ServerWait()
	}
	return 0, false
}
