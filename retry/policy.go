package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is how one kind of call is retried. The zero value is usable:
// every zero field takes the default its comment names.
type Policy struct {
	// Initial is the first wait and the shortest of all. Zero: 1 s.
	Initial time.Duration
	// Max is the longest drawn wait (a server-given one may be longer, up
	// to MaxRetryAfter). Zero: 1 min. Below Initial it counts as Initial.
	Max time.Duration
	// Multiplier is the growth of the wait per failed attempt. Zero (or
	// below 1): 2.
	Multiplier float64
	// MaxAttempts bounds the attempts in all, the first included. Zero: no
	// bound.
	MaxAttempts int
	// MaxElapsed bounds the time from the first attempt: no wait starts that
	// would end past it. Zero: no bound.
	MaxElapsed time.Duration
	// MaxRetryAfter caps a wait the server asked for. Zero: 10 min (never
	// below Max).
	MaxRetryAfter time.Duration
	// Now is the clock of MaxElapsed. Nil: time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends (returning ctx's error). Nil: a real
	// timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Random draws the jitter, in [0, 1). Nil: math/rand/v2.
	Random func() float64
}

// Defaults of the zero Policy.
const (
	DefaultInitial       = time.Second
	DefaultMax           = time.Minute
	DefaultMultiplier    = 2
	DefaultMaxRetryAfter = 10 * time.Minute
)

// withDefaults fills the zero fields.
func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = DefaultInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	p.Max = max(p.Max, p.Initial)
	if p.Multiplier < 1 {
		p.Multiplier = DefaultMultiplier
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	p.MaxRetryAfter = max(p.MaxRetryAfter, p.Max)
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = SleepTimer
	}
	if p.Random == nil {
		p.Random = rand.Float64
	}
	return p
}

// SleepTimer waits d on a real timer, or until ctx ends; it returns ctx's
// error then. It is the default Policy.Sleep.
func SleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
