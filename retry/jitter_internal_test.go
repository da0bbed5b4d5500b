package retry

import (
	"testing"
	"time"
)

// Moved from the uploader, whose jitter this was: waits double from
// Initial and the jitter adds at most half, never past the cap.
func TestRetryWaitsDoubleFromInitialBackoffAndAddAtMostHalf(t *testing.T) {
	const initial, maxWait = time.Second, time.Minute
	tests := []struct {
		name     string
		interval time.Duration
		random   float64
		want     time.Duration
	}{
		{"the first wait, drawn lowest, is initial_backoff", time.Second, 0, time.Second},
		{"the first wait, drawn highest, is half as long again", time.Second, 0.999999999, 1500 * time.Millisecond},
		{"a doubled interval, drawn lowest", 8 * time.Second, 0, 8 * time.Second},
		{"at the cap the wait spreads below it", time.Minute, 0, 40 * time.Second},
		{"at the cap, drawn highest, the wait is the cap", time.Minute, 0.999999999, time.Minute},
	}
	for _, tt := range tests {
		got := jittered(tt.interval, initial, maxWait, tt.random)
		if got < tt.want-time.Microsecond || got > tt.want+time.Microsecond {
			t.Errorf("%s: jittered(%v, random %v) = %v, want %v", tt.name, tt.interval, tt.random, got, tt.want)
		}
	}
	if got := jittered(2*time.Minute, 2*time.Minute, time.Minute, 0.5); got != 2*time.Minute {
		t.Errorf("an initial_backoff above max_backoff: wait %v, want initial_backoff", got)
	}
}
