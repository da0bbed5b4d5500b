package notify

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter is the longest wait ParseRetryAfter returns.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a receiver's Retry-After header (RFC 9110 §10.2.3):
// delay seconds or an HTTP date, relative to now. ok is false for an empty
// or unreadable value, a date already past is a wait of zero, and no wait
// is longer than MaxRetryAfter (past a day the value is nonsense for a
// webhook); the retry policy then keeps it within its own bounds.
func ParseRetryAfter(v string, now time.Time) (wait time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 63); err == nil {
		// The cap first also keeps the multiplication from overflowing.
		return time.Duration(min(secs, uint64(MaxRetryAfter/time.Second))) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(now), 0), MaxRetryAfter), true
}
