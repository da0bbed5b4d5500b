package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// The kinds of failure Incidents tracks: each is one outside system the
// daemon depends on, whatever topic or layer meets the failure.
const (
	FailureCM        = "Communications Mining"
	FailureREST      = "Salesforce REST API"
	FailureStream    = "Salesforce Pub/Sub stream"
	FailureSession   = "Salesforce session"
	FailureStore     = "state store"
	failureFirstNote = "failing; retrying until it works again"
)

// retryMessages maps the retry warnings of every layer (uploader, backfill,
// pubsub, pipeline) to the kind of failure they report. The layers log one
// line per attempt, which is what a debugging operator wants and what an
// operator watching a day-long outage does not: through Incidents the first
// line of an outage is a warning, the repeats go to debug, and one info
// line says when it cleared.
var retryMessages = map[string]string{
	"CM request failed; retrying":                                             FailureCM,
	"fetch records; retrying":                                                 FailureREST,
	"backfill call failed; retrying":                                          FailureREST,
	"stream ended; resubscribing":                                             FailureStream,
	"session refresh failed; will retry":                                      FailureSession,
	"no Salesforce session yet; retrying":                                     FailureSession,
	"state store unreachable; retrying":                                       FailureStore,
	"state store unreachable; restarting the topic's worker":                  FailureStore,
	"state store request failed; retrying":                                    FailureStore,
	"renew topic lease; retrying":                                             FailureStore,
	"write checkpoint":                                                        FailureStore,
	"save topic status":                                                       FailureStore,
	"hash store lookup failed; sending the comments anyway":                   FailureStore,
	"store dead letter; the event stays unfinished":                           FailureStore,
	"read the stream start of the topic; its retained events are all handled": FailureStore,
}

// clearMessages are lines that by themselves say a failure cleared.
var clearMessages = map[string]string{
	"session refreshed after the server rejected it": FailureSession,
}

// Incidents logs each kind of outside failure once when it starts (warn)
// and once when it clears (info, with how long it lasted and how many
// retries it took), instead of once per retry. Install its Handler in the
// logger every layer uses, and give it to the Daemon (Options.Incidents),
// whose workers report the successes that clear a failure. A nil
// *Incidents does nothing.
type Incidents struct {
	mu   sync.Mutex
	next slog.Handler
	open map[string]*incident
	// opened counts open incidents, so that the hot path (every event and
	// upload reports a success) costs one atomic load while all is well.
	opened atomic.Int32
}

type incident struct {
	since, warned time.Time
	retries       int
}

// incidentReminder is how often an incident still open is warned about
// again, so that a failure whose success no worker reports (a polling
// load that keeps failing) is never silent for long.
const incidentReminder = 10 * time.Minute

// NewIncidents returns an Incidents with no failure open.
func NewIncidents() *Incidents { return &Incidents{open: map[string]*incident{}} }

// Handler wraps next: retry warnings open or continue an incident, every
// other record passes unchanged. Lines reporting a cleared failure are
// written to next as well.
func (in *Incidents) Handler(next slog.Handler) slog.Handler {
	in.mu.Lock()
	in.next = next
	in.mu.Unlock()
	return incidentHandler{in: in, next: next}
}

// Cleared reports that kind worked: an open incident of that kind ends
// with one info line.
func (in *Incidents) Cleared(kind string) {
	if in == nil || in.opened.Load() == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	inc, ok := in.open[kind]
	if !ok {
		return
	}
	delete(in.open, kind)
	in.opened.Add(-1)
	if in.next == nil {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, kind+" works again", 0)
	r.AddAttrs(slog.String("failure", kind), slog.Duration("failed_for", time.Since(inc.since).Round(time.Millisecond)),
		slog.Int("retries", inc.retries))
	if in.next.Enabled(context.Background(), slog.LevelInfo) {
		_ = in.next.Handle(context.Background(), r)
	}
}

// failed opens an incident of kind, or counts one more retry of the open
// one. It returns the note of the warning to write: the first of an
// incident, a reminder of one open for incidentReminder since the last
// warning, or "" (the retry goes to debug).
func (in *Incidents) failed(kind string) (note string, retries int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := time.Now()
	inc, ok := in.open[kind]
	if !ok {
		in.open[kind] = &incident{since: now, warned: now}
		in.opened.Add(1)
		return failureFirstNote, 0
	}
	inc.retries++
	if now.Sub(inc.warned) < incidentReminder {
		return "", inc.retries
	}
	inc.warned = now
	return "still " + failureFirstNote, inc.retries
}

// incidentHandler is the slog.Handler of Incidents.Handler.
type incidentHandler struct {
	in   *Incidents
	next slog.Handler
}

func (h incidentHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h incidentHandler) Handle(ctx context.Context, r slog.Record) error {
	if kind, ok := clearMessages[r.Message]; ok {
		err := h.next.Handle(ctx, r)
		h.in.Cleared(kind)
		return err
	}
	kind, ok := retryMessages[r.Message]
	if !ok {
		return h.next.Handle(ctx, r)
	}
	if note, retries := h.in.failed(kind); note != "" {
		warn := slog.NewRecord(r.Time, slog.LevelWarn, kind+" "+note, r.PC)
		warn.AddAttrs(slog.String("failure", kind), slog.String("detail", r.Message))
		if retries > 0 {
			warn.AddAttrs(slog.Int("retries", retries))
		}
		r.Attrs(func(a slog.Attr) bool { warn.AddAttrs(a); return true })
		return h.next.Handle(ctx, warn)
	}
	if !h.next.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	r.Level = slog.LevelDebug
	return h.next.Handle(ctx, r)
}

func (h incidentHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return incidentHandler{in: h.in, next: h.next.WithAttrs(attrs)}
}

func (h incidentHandler) WithGroup(name string) slog.Handler {
	return incidentHandler{in: h.in, next: h.next.WithGroup(name)}
}
