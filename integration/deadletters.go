package integration

import (
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
)

// DeadLetters is `run.dead_letters`: the automatic retry of dead
// letters while the integration runs, and the
// schedule `sfcdc deadletters retry` records after a failure. Every zero
// value takes the documented default.
type DeadLetters struct {
	// Enabled runs the automatic retrier in `sfcdc run`. Zero: true.
	Enabled *bool `yaml:"enabled"`
	// RetryAfter is the wait from a dead letter's writing to its first
	// retry. Zero: 5m.
	RetryAfter time.Duration `yaml:"retry_after"`
	// MaxBackoff caps the wait, which doubles after each failed retry.
	// Zero: 6h.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxAttempts parks a dead letter once its attempts (the failure that
	// wrote it is the first) reach it. Zero: 10.
	MaxAttempts int `yaml:"max_attempts"`
}

// On reports whether the automatic retrier runs (enabled's default: true).
func (s DeadLetters) On() bool { return s.Enabled == nil || *s.Enabled }

// Policy is the retrier's view of the section.
func (s DeadLetters) Policy() deadletter.Policy {
	return deadletter.Policy{RetryAfter: s.RetryAfter, MaxBackoff: s.MaxBackoff, MaxAttempts: s.MaxAttempts}
}

// problems lists what is wrong with the section, each naming its
// run.dead_letters.<key>.
func (s DeadLetters) problems() []string {
	var out []string
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"retry_after", s.RetryAfter}, {"max_backoff", s.MaxBackoff}} {
		if d.value < 0 {
			out = append(out, fmt.Sprintf("run.dead_letters.%s: %s is negative; use 0 for the default", d.name, d.value))
		}
	}
	if s.MaxAttempts < 0 {
		out = append(out, fmt.Sprintf("run.dead_letters.max_attempts: %d is negative; use 0 for the default (%d)", s.MaxAttempts, deadletter.DefaultMaxAttempts))
	}
	if len(out) > 0 {
		return out
	}
	if p := s.Policy().WithDefaults(); p.MaxBackoff < p.RetryAfter {
		out = append(out, fmt.Sprintf("run.dead_letters.max_backoff: %s is shorter than retry_after %s; make it at least as long", p.MaxBackoff, p.RetryAfter))
	}
	return out
}
