package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/retry"
)

// The states whose changes need a person (hosted-oauth.md §4's table).
const (
	StateNeedsReauth = "needs_reauth"
	StateDisabled    = "disabled"
	// StateActive is the usual state a recovery goes to; any state other
	// than the two above is a recovery when the previous was one of them.
	StateActive = "active"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Sfcdc-Signature"

// Event is one state change of an integration, and the webhook's body.
type Event struct {
	Integration string    `json:"integration"`
	State       string    `json:"state"`
	Reason      string    `json:"reason"`
	Previous    string    `json:"previous"`
	At          time.Time `json:"at"`
	// AuthenticateURL is the link a person opens to authorise the
	// integration again (with needs_reauth).
	AuthenticateURL string `json:"authenticate_url,omitempty"`
}

// NeedsPerson reports whether the change is one to tell a person about:
// into needs_reauth or disabled, or out of either into another state.
func (e Event) NeedsPerson() bool {
	if e.State == e.Previous {
		return false
	}
	return needsPerson(e.State) || needsPerson(e.Previous)
}

func needsPerson(state string) bool { return state == StateNeedsReauth || state == StateDisabled }

// Config is how notifications are sent. The zero value only logs and
// counts them.
type Config struct {
	// URL is the webhook (http or https); empty: no webhook.
	URL WebhookURL
	// Secret is the key of the body's HMAC; required with URL.
	Secret Secret
	// Queue bounds the notifications waiting to be sent. A full queue
	// drops the oldest of the integration with the most waiting, so one
	// integration that keeps changing state never pushes out another's
	// (while the queue holds more than the integrations waiting). Zero: 256.
	Queue int
	// Retry is how a failed post is retried. Its zero fields take this
	// package's defaults (not retry's): 1 s first wait, 1 min at most,
	// 8 attempts, 15 min in all.
	Retry retry.Policy
	// Timeout bounds each post. Zero: 10 s.
	Timeout time.Duration
	// Client posts; nil: a client of its own.
	Client *http.Client
	// Logger hears every notification and its outcome; nil: slog.Default.
	Logger *slog.Logger
	// Now stamps an Event whose At is zero; nil: time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultQueue       = 256
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 8
	DefaultMaxElapsed  = 15 * time.Minute
)

// Check reports what is wrong with the configuration, naming the fix.
func (c Config) Check() error {
	var problems []string
	if c.URL != "" {
		u, err := url.Parse(string(c.URL))
		switch {
		case err != nil:
			// url's error quotes the whole URL, whose path may be a credential.
			problems = append(problems, "the webhook URL does not parse; give an absolute http:// or https:// URL")
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			problems = append(problems, fmt.Sprintf("the webhook URL must be an absolute http:// or https:// URL (it has scheme %q and host %q)",
				u.Scheme, u.Host))
		}
		if c.Secret == "" {
			problems = append(problems, "a webhook needs a secret to sign its bodies with (X-Sfcdc-Signature); set one, e.g. 32 random bytes in hex, and give it to the receiver")
		}
	}
	if c.Queue < 0 {
		problems = append(problems, fmt.Sprintf("the notification queue must hold at least 1 (it is %d); 0 takes the default %d", c.Queue, DefaultQueue))
	}
	if c.Timeout < 0 {
		problems = append(problems, fmt.Sprintf("the webhook timeout must not be negative (it is %s); 0 takes the default %s", c.Timeout, DefaultTimeout))
	}
	if len(problems) > 0 {
		return fmt.Errorf("notify: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Counts are a Notifier's figures since it started.
type Counts struct {
	Notified int64 // state changes that needed a person (each also logged)
	Sent     int64 // delivered to the webhook (a 2xx answer)
	Failed   int64 // given up on: a refusal, or the retries ran out
	Dropped  int64 // pushed out of a full queue, or still queued at the end of Run
	Queued   int64 // waiting now
}

// Notifier logs, counts and sends notifications. Notify may be called from
// any goroutine; Run is the one that sends.
type Notifier struct {
	cfg      Config
	log      *slog.Logger
	target   string // the webhook's scheme and host: all that is ever named
	client   *http.Client
	notified atomic.Int64
	sent     atomic.Int64
	failed   atomic.Int64
	dropped  atomic.Int64

	mu    sync.Mutex
	queue []Event // oldest first, at most cfg.Queue
	ready chan struct{}
}

// New checks cfg and returns its Notifier; its webhook is posted to only
// while Run runs.
func New(cfg Config) (*Notifier, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retry.MaxAttempts == 0 {
		cfg.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Retry.MaxElapsed == 0 {
		cfg.Retry.MaxElapsed = DefaultMaxElapsed
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Notifier{cfg: cfg, log: cfg.Logger, client: cfg.Client, ready: make(chan struct{}, 1)}
	if n.log == nil {
		n.log = slog.Default()
	}
	if n.client == nil {
		n.client = &http.Client{}
	}
	if cfg.URL != "" {
		n.target = cfg.URL.String()
	}
	return n, nil
}

// Notify logs and counts a change that needs a person and queues it for
// the webhook; it ignores any other change (NeedsPerson). It never blocks.
func (n *Notifier) Notify(e Event) {
	if !e.NeedsPerson() {
		return
	}
	if e.At.IsZero() {
		e.At = n.cfg.Now()
	}
	// A reason may quote Salesforce's or CM's error text: whatever in it
	// looks like a credential goes neither to the log nor to the webhook.
	e.Reason = redact.Text(e.Reason)
	level, msg := slog.LevelWarn, "an integration needs a person"
	if !needsPerson(e.State) {
		level, msg = slog.LevelInfo, "an integration recovered"
	}
	attrs := []any{"integration", e.Integration, "state", e.State, "reason", e.Reason, "previous", e.Previous}
	if e.AuthenticateURL != "" {
		attrs = append(attrs, "authenticate_url", e.AuthenticateURL)
	}
	n.log.Log(context.Background(), level, msg, attrs...)
	// Counted after its log line, so a count already seen has its line.
	n.notified.Add(1)
	if n.cfg.URL == "" {
		return
	}
	n.mu.Lock()
	var lost *Event
	if len(n.queue) >= n.cfg.Queue {
		i := n.victim(e.Integration)
		first := n.queue[i]
		lost = &first
		n.queue = slices.Delete(n.queue, i, i+1)
	}
	n.queue = append(n.queue, e)
	n.mu.Unlock()
	if lost != nil {
		n.log.Warn("dropped a waiting notification: the webhook queue is full (is the webhook answering?)",
			"integration", lost.Integration, "state", lost.State, "webhook", n.target, "queue", n.cfg.Queue)
		n.dropped.Add(1)
	}
	select {
	case n.ready <- struct{}{}:
	default:
	}
}

// victim is the index of the notification a full queue drops to make room
// for one of integration: the oldest of the integration with the most
// waiting, counting the newcomer (ties: the one waiting longest), so the
// integrations that change state most lose first, and one with a single
// notification waiting loses it only when every other has just one too.
// n.mu held.
func (n *Notifier) victim(integration string) int {
	count := map[string]int{integration: 1}
	for _, q := range n.queue {
		count[q.Integration]++
	}
	best := 0
	for i, q := range n.queue {
		if count[q.Integration] > count[n.queue[best].Integration] {
			best = i
		}
	}
	return best
}

// Run posts the queued notifications, one at a time and in order, until
// ctx ends; what is still queued then is counted as dropped. Without a
// webhook it only waits for ctx.
func (n *Notifier) Run(ctx context.Context) {
	for {
		e, ok := n.next()
		if !ok {
			select {
			case <-ctx.Done():
				n.abandon()
				return
			case <-n.ready:
				continue
			}
		}
		n.deliver(ctx, e)
		if ctx.Err() != nil {
			n.abandon()
			return
		}
	}
}

func (n *Notifier) next() (Event, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return Event{}, false
	}
	e := n.queue[0]
	n.queue = n.queue[1:]
	return e, true
}

// abandon counts what is left in the queue as dropped.
func (n *Notifier) abandon() {
	n.mu.Lock()
	left := len(n.queue)
	n.queue = nil
	n.mu.Unlock()
	if left > 0 {
		n.log.Warn("stopping with notifications not sent", "count", left, "webhook", n.target)
		n.dropped.Add(int64(left))
	}
}

// deliver posts one notification, retrying what may pass later, and
// counts and logs its outcome.
func (n *Notifier) deliver(ctx context.Context, e Event) {
	body, err := json.Marshal(e)
	if err != nil { // an Event has only strings and a time: cannot happen
		n.log.Error("notification not encoded", "integration", e.Integration, "error", err)
		n.failed.Add(1)
		return
	}
	signature := Sign(n.cfg.Secret, body)
	err = n.cfg.Retry.Do(ctx, retry.Call{
		Retryable: func(err error) bool {
			var pe *postError
			return !errors.As(err, &pe) || pe.retryable()
		},
		OnRetry: func(f retry.Failure) {
			n.log.Info("webhook post failed; retrying", "integration", e.Integration, "state", e.State, "webhook", n.target,
				"attempt", f.Attempt, "wait", f.Wait, "error", f.Err)
		},
	}, func(ctx context.Context) error { return n.post(ctx, body, signature) })
	if err != nil && ctx.Err() != nil {
		// Stopping is not the webhook's failure: Run counts it as dropped.
		n.log.Warn("stopping with a notification not sent", "integration", e.Integration, "state", e.State, "webhook", n.target)
		n.dropped.Add(1)
		return
	}
	if err != nil {
		n.log.Error("notification not delivered to the webhook", "integration", e.Integration, "state", e.State, "webhook", n.target,
			"error", err)
		n.failed.Add(1)
		return
	}
	n.log.Info("notification delivered", "integration", e.Integration, "state", e.State, "webhook", n.target)
	n.sent.Add(1)
}

// post sends the body once. Its errors name the webhook by scheme and
// host only: net/http's own errors quote the whole URL.
func (n *Notifier) post(ctx context.Context, body []byte, signature string) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, string(n.cfg.URL), bytes.NewReader(body))
	if err != nil {
		return &postError{target: n.target, cause: "the request could not be built"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sfcdc-notify")
	req.Header.Set(SignatureHeader, signature)
	resp, err := n.client.Do(req)
	if err != nil {
		return &postError{target: n.target, cause: networkCause(err), network: true}
	}
	defer resp.Body.Close()
	// Read a little of the answer so the connection can be reused; the
	// body itself is the receiver's and is not shown.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	pe := &postError{target: n.target, status: resp.StatusCode}
	pe.wait, pe.hasWait = ParseRetryAfter(resp.Header.Get("Retry-After"), n.cfg.Now())
	return pe
}

// networkCause is a transport failure without the URL that *url.Error
// quotes.
func networkCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + ": " + oe.Err.Error()
	}
	if errors.Is(err, context.Canceled) {
		return "stopped"
	}
	return "the connection failed"
}

// postError is one failed post: a status, or a network failure.
type postError struct {
	target  string
	status  int
	network bool
	cause   string
	wait    time.Duration
	hasWait bool
}

func (e *postError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("the webhook at %s answered %d %s", e.target, e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("posting to the webhook at %s: %s", e.target, e.cause)
}

// retryable: a network failure, a 5xx or a 429 may pass later; any other
// answer (a 4xx: a wrong URL, a rejected signature) will not.
func (e *postError) retryable() bool {
	return e.network || e.status >= 500 || e.status == http.StatusTooManyRequests
}

// ServerWait is the receiver's Retry-After, which retry.Do waits for.
func (e *postError) ServerWait() (time.Duration, bool) { return e.wait, e.hasWait }

// Counts returns the figures now.
func (n *Notifier) Counts() Counts {
	n.mu.Lock()
	queued := len(n.queue)
	n.mu.Unlock()
	return Counts{Notified: n.notified.Load(), Sent: n.sent.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load(),
		Queued: int64(queued)}
}

// Sign is the X-Sfcdc-Signature of a body: "sha256=" and the hex
// HMAC-SHA256 of the body under the secret. A receiver computes it over
// the raw body it read and compares with hmac.Equal.
func Sign(secret Secret, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
