package deadletter

import "time"

// Clock is the time the retrier schedules by. Tests give one they move.
type Clock interface {
	Now() time.Time
	// After sends the time once d has passed (at once when d ≤ 0).
	After(d time.Duration) <-chan time.Time
}

// wallClock is the host's clock.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
