package notify

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter reads a receiver's Retry-After header (RFC 9110 §10.2.3):
// delay seconds or an HTTP date, relative to now. ok is false for an empty
// or unreadable value, and a date already past is a wait of zero; the
// retry policy keeps whatever it returns within its own bounds.
func ParseRetryAfter(v string, now time.Time) (wait time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 63); err == nil {
		// Past a day the value is nonsense for a webhook; the cap also keeps
		// the multiplication from overflowing.
		return time.Duration(min(secs, 86400)) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}
