package deadletter

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// The defaults of Policy.
const (
	DefaultRetryAfter  = 5 * time.Minute
	DefaultMaxBackoff  = 6 * time.Hour
	DefaultMaxAttempts = 10
)

// jitterFraction is the largest share of a wait taken off at random. Only
// ever shortened, so a retry is never later than the policy says.
const jitterFraction = 0.1

// Policy is when dead letters are retried and when they are parked. Zero
// values take the defaults.
type Policy struct {
	// RetryAfter is the wait from writing a dead letter to its first
	// retry. Zero: 5 min.
	RetryAfter time.Duration
	// MaxBackoff caps the wait, which doubles after each failed retry.
	// Zero: 6 h.
	MaxBackoff time.Duration
	// MaxAttempts parks a dead letter once its attempts (the failure that
	// wrote it counts as the first) reach it. With the other defaults, 9
	// retries over about 22 hours: a night's outage heals within them, a
	// comment CM keeps refusing is parked the next day. Zero: 10.
	MaxAttempts int
}

// Validate reports every configuration error at once.
func (p Policy) Validate() error {
	var errs []error
	if p.RetryAfter < 0 || p.MaxBackoff < 0 {
		errs = append(errs, errors.New("retry_after, max_backoff: must not be negative; use 0 for the default"))
	}
	if p.MaxAttempts < 0 {
		errs = append(errs, errors.New("max_attempts: must not be negative; use 0 for the default"))
	}
	if d := p.WithDefaults(); d.MaxBackoff < d.RetryAfter {
		errs = append(errs, errors.New("max_backoff: must be at least retry_after"))
	}
	return errors.Join(errs...)
}

// WithDefaults fills the zero values.
func (p Policy) WithDefaults() Policy {
	if p.RetryAfter == 0 {
		p.RetryAfter = DefaultRetryAfter
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	return p
}

// Due is when the automatic retrier tries d: as its last failed retry
// scheduled it, or RetryAfter after it was written.
func (p Policy) Due(d replay.DeadLetter) time.Time {
	if !d.NextAttemptAt.IsZero() {
		return d.NextAttemptAt
	}
	return d.At.Add(p.RetryAfter)
}

// Wait is the nominal wait after a failed retry that brought a dead
// letter to attempts: RetryAfter doubled once per retry before it, capped
// at MaxBackoff.
func (p Policy) Wait(attempts int) time.Duration {
	wait := p.RetryAfter
	for i := 2; i < attempts && wait < p.MaxBackoff; i++ {
		wait *= 2
	}
	if wait > p.MaxBackoff/2 {
		return p.MaxBackoff
	}
	return wait * 2
}

// retry is what a failed retry of d at now stores: the next attempt after
// the jittered wait, and the limit that parks it.
func (p Policy) retry(d replay.DeadLetter, cause string, now time.Time) replay.DeadLetterRetry {
	wait := p.Wait(d.Attempts + 1)
	wait -= time.Duration(rand.Float64() * jitterFraction * float64(wait))
	return replay.DeadLetterRetry{Error: cause, NextAttemptAt: now.Add(wait), ParkAt: p.MaxAttempts}
}
