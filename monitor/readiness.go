package monitor

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultReadyWindow is how long a streaming topic may go without an
// event or a keepalive and still be ready: Salesforce sends a keepalive
// within 270 s of silence, plus a minute of margin.
const DefaultReadyWindow = 330 * time.Second

// maxReasonBytes keeps one topic's line of /readyz short even when its
// last error is long.
const maxReasonBytes = 300

// readiness decides whether each topic is ready. It remembers when it
// first saw a topic streaming, so a topic that has just subscribed and
// heard nothing yet gets one window for its first event or keepalive
// instead of being reported stale at once.
type readiness struct {
	window time.Duration

	mu        sync.Mutex
	streaming map[string]time.Time // topic → first seen streaming (this stretch)
}

func newReadiness(window time.Duration) *readiness {
	return &readiness{window: window, streaming: map[string]time.Time{}}
}

// check returns "" when t is ready, otherwise why not.
func (r *readiness) check(t Topic, now time.Time) string {
	since := r.observe(t, now)
	switch t.State {
	case StateStreaming:
		heard := t.lastHeard()
		if heard.IsZero() {
			if silent := now.Sub(since); silent > r.window {
				return fmt.Sprintf("streaming, but no event or keepalive since it began streaming %s ago (monitoring.ready_window %s)",
					silent.Round(time.Second), r.window)
			}
			return ""
		}
		if silent := now.Sub(heard); silent > r.window {
			return fmt.Sprintf("streaming, but no event or keepalive for %s (monitoring.ready_window %s): the stream may be stuck",
				silent.Round(time.Second), r.window)
		}
		return ""
	case StateStandby, StateBackfilling, StateRecovering, StatePaused:
		// Standby: another instance streams the topic. Backfilling and
		// recovering: REST progress, no stream to be silent yet. Paused: a
		// load waits for the org's API budget by design (its status says
		// until when); restarting this instance would not help.
		return ""
	case StateStarting:
		return "starting: not subscribed yet"
	case StateFailed:
		if t.LastError != "" {
			return "failed: " + oneLine(t.LastError)
		}
		return "failed"
	case StateStopped:
		return "stopped"
	case "":
		return "no state reported yet"
	}
	return "unknown state " + fmt.Sprintf("%q", t.State)
}

// observe records the start of a streaming stretch and returns it (zero
// when t is not streaming).
func (r *readiness) observe(t Topic, now time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.State != StateStreaming {
		delete(r.streaming, t.Topic)
		return time.Time{}
	}
	since, ok := r.streaming[t.Topic]
	if !ok {
		since = now
		r.streaming[t.Topic] = since
	}
	return since
}

// oneLine keeps a reason on one short line of the plain-text body.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReasonBytes {
		cut := maxReasonBytes
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
