package notify_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/notify"
)

// FuzzParseRetryAfter: a receiver's Retry-After is outside input. Whatever
// it says, the wait is never negative nor longer than MaxRetryAfter, and an empty
// value asks for none.
func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"", "0", "120", " 5 ", "-1", "99999999999999999999", "Sun, 06 Nov 1994 08:49:37 GMT",
		"Mon, 07 Dec 2026 13:00:30 GMT", "Monday, 07-Dec-26 13:00:30 GMT", "Mon Dec  7 13:00:30 2026", "1.5", "soon"} {
		f.Add(seed)
	}
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		wait, ok := notify.ParseRetryAfter(v, now)
		if wait < 0 || wait > notify.MaxRetryAfter {
			t.Fatalf("%q: a wait of %s", v, wait)
		}
		if !ok && wait != 0 {
			t.Fatalf("%q: not understood, yet a wait of %s", v, wait)
		}
		if v == "" && ok {
			t.Fatal("an empty Retry-After asked for a wait")
		}
	})
}

// Seconds and dates as RFC 9110 writes them.
func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120": 2 * time.Minute, " 7 ": 7 * time.Second, "Mon, 07 Dec 2026 13:00:30 GMT": 30 * time.Second,
		"Sun, 06 Nov 1994 08:49:37 GMT": 0, "99999999": 24 * time.Hour, "Fri, 07 Dec 2096 13:00:30 GMT": 24 * time.Hour,
	} {
		if got, ok := notify.ParseRetryAfter(v, now); !ok || got != want {
			t.Errorf("%q: %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if got, ok := notify.ParseRetryAfter(v, now); ok {
			t.Errorf("%q read as %s", v, got)
		}
	}
}
