package retry

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Backoff is the sequence of waits of one retried call, for loops that
// are not a plain Do (a reconnecting stream that resets after progress, a
// refresh gate that only computes when the next attempt is due). It is
// not safe for concurrent use.
type Backoff struct {
	p        Policy
	exp      backoff.ExponentialBackOff
	started  time.Time
	failures int
}

// Backoff starts the waits of one call; its MaxElapsed counts from now.
func (p Policy) Backoff() *Backoff {
	p = p.withDefaults()
	b := &Backoff{p: p, exp: backoff.ExponentialBackOff{
		InitialInterval: p.Initial, RandomizationFactor: 0, Multiplier: p.Multiplier, MaxInterval: p.Max,
	}}
	b.Reset()
	return b
}

// Reset starts the sequence again from Initial, as after progress; the
// attempt and elapsed bounds count from now.
func (b *Backoff) Reset() {
	b.exp.Reset()
	b.started = b.p.Now()
	b.failures = 0
}

// Failures is how many failed attempts Next has counted since the start
// or the last Reset.
func (b *Backoff) Failures() int { return b.failures }

// Next counts a failed attempt and returns the drawn wait before the next
// one, or false when MaxAttempts or MaxElapsed forbid another.
func (b *Backoff) Next() (time.Duration, bool) {
	return b.next(func() time.Duration { return jittered(b.exp.NextBackOff(), b.p.Initial, b.p.Max, b.p.Random()) })
}

// NextAfter is Next for a failure whose answer asked for a wait (an HTTP
// Retry-After): that wait, kept within Initial..MaxRetryAfter, replaces
// the drawn one and does not advance the exponential sequence.
func (b *Backoff) NextAfter(asked time.Duration) (time.Duration, bool) {
	return b.next(func() time.Duration { return max(min(asked, b.p.MaxRetryAfter), b.p.Initial) })
}

func (b *Backoff) next(wait func() time.Duration) (time.Duration, bool) {
	b.failures++
	if b.p.MaxAttempts > 0 && b.failures >= b.p.MaxAttempts {
		return 0, false
	}
	w := wait()
	if b.p.MaxElapsed > 0 && b.p.Now().Add(w).Sub(b.started) > b.p.MaxElapsed {
		return 0, false
	}
	return w, true
}

// jittered draws a wait for the backoff interval d (Initial multiplied per
// attempt, at most Max) that keeps both documented bounds: never below
// Initial, never above Max. The jitter only adds, up to half of d
// (cenkalti/backoff's RandomizationFactor also takes away, so a 1 s
// Initial waited 0.5 s). Near the cap, where adding is not possible, the
// range is the last third below Max, so that clients failing together
// still spread out. random is in [0, 1).
func jittered(d, initial, maxWait time.Duration, random float64) time.Duration {
	hi := min(d+d/2, maxWait)
	lo := max(min(d, hi-hi/3), initial)
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(random*float64(hi-lo))
}
