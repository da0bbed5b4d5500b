package uploader

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// syncCounts is CM's answer to a sync: how many comments were new, updated
// or unchanged.
type syncCounts struct {
	New, Updated, Unchanged int
}

// decodeSyncResponse reads {"status":"ok","new":N,"updated":N,"unchanged":N}.
// Anything else in a 2xx answer (a proxy page, an error envelope) is a
// protocol error, which cmClient.decode retries (sync is an idempotent
// upsert) until such answers show that base_url is not CM.
func decodeSyncResponse(body []byte) (syncCounts, error) {
	var env struct {
		Status    string `json:"status"`
		New       *int   `json:"new"`
		Updated   *int   `json:"updated"`
		Unchanged *int   `json:"unchanged"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return syncCounts{}, fmt.Errorf("decode sync answer: %w", err)
	}
	if env.Status != "ok" {
		return syncCounts{}, fmt.Errorf("decode sync answer: status %q, want \"ok\"", truncateMessage(env.Status))
	}
	counts := syncCounts{New: deref(env.New), Updated: deref(env.Updated), Unchanged: deref(env.Unchanged)}
	if counts.New < 0 || counts.Updated < 0 || counts.Unchanged < 0 {
		return syncCounts{}, errors.New("decode sync answer: negative counts")
	}
	return counts, nil
}

// decodeStatusOK reads {"status":"ok"} (delete).
func decodeStatusOK(body []byte) error {
	var env struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if env.Status != "ok" {
		return fmt.Errorf("decode answer: status %q, want \"ok\"", truncateMessage(env.Status))
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// decodeErrorMessage returns the message of CM's error envelope
// {"status":"error","message":"…"}, cleaned for logs, or "" for any other
// body: an unknown body is never echoed, as it may come from anywhere.
func decodeErrorMessage(body []byte) string {
	var env struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &env) != nil || env.Status != "error" {
		return ""
	}
	return truncateMessage(env.Message)
}

// truncateMessage keeps messages log-safe: printable, one line, short.
func truncateMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. ok is false when the header is absent or unreadable.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(1<<62)/int64(time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
