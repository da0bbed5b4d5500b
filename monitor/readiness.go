package monitor

import (
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/health"
)

// DefaultReadyWindow is how long a streaming topic may go without an
// event or a keepalive and still be ready (health.DefaultReadyWindow).
const DefaultReadyWindow = health.DefaultReadyWindow

// readiness asks health.Judge whether each topic is ready. For figures
// that do not say when the topic began streaming (StateSince), it
// remembers when it first saw the topic streaming, so a topic that has
// just subscribed and heard nothing yet gets one window for its first
// event or keepalive instead of being let through forever.
type readiness struct {
	policy health.Policy

	mu        sync.Mutex
	streaming map[string]time.Time // topic (key) → first seen streaming (this stretch)
}

func newReadiness(window time.Duration) *readiness {
	return &readiness{policy: health.Policy{ReadyWindow: window}, streaming: map[string]time.Time{}}
}

// check returns "" when t is ready, otherwise why not; key names the topic
// among all this process serves (its name, or integration and name).
func (r *readiness) check(key string, t figures.Topic, now time.Time) string {
	since := r.observe(key, t, now)
	if t.StateSince.IsZero() {
		t.StateSince = since
	}
	return health.Judge(t, now, r.policy).NotReady
}

// observe records the start of a streaming stretch and returns it (zero
// when t is not streaming).
func (r *readiness) observe(key string, t figures.Topic, now time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.State != figures.StateStreaming {
		delete(r.streaming, key)
		return time.Time{}
	}
	since, ok := r.streaming[key]
	if !ok {
		since = now
		r.streaming[key] = since
	}
	return since
}
