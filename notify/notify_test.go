package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/retry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const secret = "CANARY-notify-secret-5f1c9e"

// receiver is a webhook that checks each request's signature as a real
// receiver would (HMAC of the raw body, compared in constant time) and
// answers with the statuses it is given in turn, then 200.
type receiver struct {
	server *httptest.Server
	secret string
	hold   chan struct{} // when set, each request waits for it to close

	mu       sync.Mutex
	statuses []int
	attempts int
	bodies   [][]byte
	events   []notify.Event // the delivered ones (answered 2xx)
	arrived  chan notify.Event
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{secret: secret, statuses: statuses, arrived: make(chan notify.Event, 100)}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.server.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	m := hmac.New(sha256.New, []byte(r.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(req.Header.Get(notify.SignatureHeader)), []byte(want)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		r.mu.Lock()
		r.attempts++
		r.mu.Unlock()
		return
	}
	var e notify.Event
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.attempts++
	r.bodies = append(r.bodies, body)
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	if status < 300 {
		r.events = append(r.events, e)
	}
	hold := r.hold
	r.mu.Unlock()
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0")
	}
	if status < 300 {
		r.arrived <- e
		if hold != nil {
			<-hold
		}
	}
	w.WriteHeader(status)
}

func (r *receiver) seen() (attempts int, bodies [][]byte, events []notify.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, append([][]byte(nil), r.bodies...), append([]notify.Event(nil), r.events...)
}

// fast retries in milliseconds: the tests count attempts, not time.
var fast = retry.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start makes the Notifier of cfg (its log in logs) and runs it until the
// test ends; stop ends Run early and waits for it.
func start(t *testing.T, cfg notify.Config, logs *syncBuffer) (n *notify.Notifier, stop func()) {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return n, stop
}

// idle waits until the Notifier has settled every notification it was
// given: sent, failed or dropped, nothing queued or in flight.
func idle(t *testing.T, n *notify.Notifier) notify.Counts {
	t.Helper()
	for {
		c := n.Counts()
		if c.Sent+c.Failed+c.Dropped == c.Notified && c.Queued == 0 {
			return c
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("the notifications never settled: %+v", c)
		case <-time.After(time.Millisecond):
		}
	}
}

var (
	needsReauth = notify.Event{Integration: "acme/support", State: notify.StateNeedsReauth, Reason: "revoked", Previous: "active",
		AuthenticateURL: "https://sfcdc.example/integrations/acme/support/oauth2/authenticate"}
	disabled  = notify.Event{Integration: "acme/sales", State: notify.StateDisabled, Reason: "quota", Previous: "active"}
	recovered = notify.Event{Integration: "acme/support", State: notify.StateActive, Reason: "authorised", Previous: notify.StateNeedsReauth}
)

// The changes that need a person reach the webhook signed, in order, with
// every field; a change that needs nobody is neither sent nor counted.
func TestSignedNotificationsReachTheWebhook(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	logs := &syncBuffer{}
	at := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL + "/hook"), Secret: secret, Retry: fast, Now: func() time.Time { return at }}, logs)
	n.Notify(needsReauth)
	n.Notify(notify.Event{Integration: "acme/support", State: "error", Reason: "transient", Previous: "streaming"})
	n.Notify(disabled)
	n.Notify(recovered)
	c := idle(t, n)
	if c != (notify.Counts{Notified: 3, Sent: 3}) {
		t.Fatalf("counts %+v; want 3 notified and sent", c)
	}
	_, bodies, got := r.seen()
	want := []notify.Event{needsReauth, disabled, recovered}
	for i := range want {
		want[i].At = at
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the webhook received\n%v\nwant\n%v", got, want)
	}
	var fields map[string]any
	if err := json.Unmarshal(bodies[0], &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"integration", "state", "reason", "previous", "at", "authenticate_url"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("the body has no %q: %s", key, bodies[0])
		}
	}
	fields = nil
	if err := json.Unmarshal(bodies[1], &fields); err != nil || fields["authenticate_url"] != nil {
		t.Errorf("a notification without a link carries authenticate_url: %s", bodies[1])
	}
	for _, line := range []string{"an integration needs a person", "an integration recovered", "notification delivered"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("the log has no %q:\n%s", line, logs)
		}
	}
}

// A receiver with another secret refuses the signature (401): a refusal
// will not pass later, so it is not retried, and it counts as failed.
func TestARejectedSignatureFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.secret = "the receiver's other secret"
	logs := &syncBuffer{}
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast}, logs)
	n.Notify(disabled)
	if c := idle(t, n); c.Failed != 1 || c.Sent != 0 {
		t.Fatalf("counts %+v; want 1 failed", c)
	}
	if attempts, _, _ := r.seen(); attempts != 1 {
		t.Fatalf("%d attempts at a refused signature; want 1", attempts)
	}
	if !strings.Contains(logs.String(), "401 Unauthorized") {
		t.Fatalf("the log does not say the webhook refused it:\n%s", logs)
	}
}

// 5xx and 429 are retried (the same body and signature each time) until
// the webhook takes it.
func TestServerErrorsAreRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway)
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast}, &syncBuffer{})
	n.Notify(needsReauth)
	if c := idle(t, n); c.Sent != 1 || c.Failed != 0 {
		t.Fatalf("counts %+v; want 1 sent", c)
	}
	attempts, bodies, events := r.seen()
	if attempts != 4 || len(events) != 1 {
		t.Fatalf("%d attempts, %d delivered; want 4 and 1", attempts, len(events))
	}
	for _, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatalf("a retry sent another body:\n%s\n%s", b, bodies[0])
		}
	}
}

// The retries are bounded: a webhook that always fails costs MaxAttempts
// posts, then the notification counts as failed and the next is sent.
func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 500, 500, 500, 500, 500, 500)
	policy := fast
	policy.MaxAttempts = 3
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: policy}, &syncBuffer{})
	n.Notify(needsReauth)
	n.Notify(disabled)
	c := idle(t, n)
	if c.Failed != 2 || c.Sent != 0 {
		t.Fatalf("counts %+v; want 2 failed", c)
	}
	if attempts, _, _ := r.seen(); attempts != 6 {
		t.Fatalf("%d attempts; want 3 per notification", attempts)
	}
}

// Notify does not wait for the webhook: with one post in flight at a
// webhook that does not answer, a full queue drops its oldest and counts
// it; the newest are sent once the webhook answers.
func TestNotifyNeverBlocksAndAFullQueueDropsTheOldest(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.hold = make(chan struct{})
	logs := &syncBuffer{}
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast, Queue: 2}, logs)
	n.Notify(notify.Event{Integration: "first", State: notify.StateDisabled, Previous: "active"})
	<-r.arrived // the first is in flight, held by the webhook
	for i := range 5 {
		n.Notify(notify.Event{Integration: fmt.Sprint("later-", i), State: notify.StateDisabled, Previous: "active"})
	}
	if c := n.Counts(); c.Dropped != 3 || c.Queued != 2 {
		t.Fatalf("counts %+v while the webhook holds the first; want 3 dropped, 2 queued", c)
	}
	close(r.hold)
	if c := idle(t, n); c.Sent != 3 || c.Dropped != 3 {
		t.Fatalf("counts %+v; want 3 sent, 3 dropped", c)
	}
	var got []string
	_, _, events := r.seen()
	for _, e := range events {
		got = append(got, e.Integration)
	}
	if strings.Join(got, " ") != "first later-3 later-4" {
		t.Fatalf("delivered %v; want the first and the two newest", got)
	}
	if !strings.Contains(logs.String(), "dropped a waiting notification") {
		t.Fatalf("the drops are not logged:\n%s", logs)
	}
}

// One integration changing state over and over while the webhook is slow
// fills the queue with its own notifications only: a full queue drops that
// integration's oldest, never the one notification another integration has
// waiting, and the flapping integration's newest are the ones sent.
func TestAnIntegrationThatKeepsChangingStateNeverPushesAnotherOut(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.hold = make(chan struct{})
	logs := &syncBuffer{}
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast, Queue: 4}, logs)
	n.Notify(notify.Event{Integration: "acme/first", State: notify.StateDisabled, Previous: "streaming"})
	<-r.arrived // in flight, held by the webhook
	n.Notify(notify.Event{Integration: "acme/quiet", State: notify.StateNeedsReauth, Previous: "streaming"})
	for i := range 50 {
		state, previous := notify.StateNeedsReauth, "streaming"
		if i%2 == 1 {
			state, previous = notify.StateActive, notify.StateNeedsReauth
		}
		n.Notify(notify.Event{Integration: "acme/flapping", State: state, Previous: previous, Reason: fmt.Sprint("change ", i)})
	}
	n.Notify(notify.Event{Integration: "acme/late", State: notify.StateDisabled, Previous: "streaming"})
	if c := n.Counts(); c.Dropped != 48 || c.Queued != 4 {
		t.Fatalf("counts %+v while the webhook holds the first; want 48 dropped, 4 queued", c)
	}
	close(r.hold)
	if c := idle(t, n); c.Sent != 5 || c.Dropped != 48 {
		t.Fatalf("counts %+v; want 5 sent, 48 dropped", c)
	}
	var got []string
	_, _, events := r.seen()
	for _, e := range events {
		got = append(got, strings.TrimSpace(e.Integration+" "+e.Reason))
	}
	want := "acme/first|acme/quiet|acme/flapping change 48|acme/flapping change 49|acme/late"
	if strings.Join(got, "|") != want {
		t.Fatalf("delivered %q; want %q", strings.Join(got, "|"), want)
	}
	if !strings.Contains(logs.String(), "integration=acme/flapping") {
		t.Fatalf("the drops are not logged with the flapping integration's name:\n%s", logs)
	}
}

// What is still queued when Run stops is counted as dropped, not lost
// from the figures.
func TestStoppingCountsTheUnsentAsDropped(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.hold = make(chan struct{})
	n, stop := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast}, &syncBuffer{})
	n.Notify(disabled)
	<-r.arrived
	n.Notify(needsReauth)
	n.Notify(recovered)
	stop() // the held post is cut by the stop
	close(r.hold)
	if c := n.Counts(); c.Dropped != 3 || c.Queued != 0 || c.Notified != 3 {
		t.Fatalf("counts after the stop %+v; want the 3 unsent dropped", c)
	}
}

// Without a webhook, notifications are still logged and counted.
func TestWithoutAWebhookNotificationsAreLoggedAndCounted(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	n, _ := start(t, notify.Config{}, logs)
	n.Notify(needsReauth)
	n.Notify(recovered)
	if c := n.Counts(); c != (notify.Counts{Notified: 2}) {
		t.Fatalf("counts %+v; want 2 notified, nothing sent", c)
	}
	if !strings.Contains(logs.String(), "integration=acme/support state=needs_reauth reason=revoked") ||
		!strings.Contains(logs.String(), needsReauth.AuthenticateURL) {
		t.Fatalf("the log does not describe the change:\n%s", logs)
	}
}

// The figures for /metrics.
func TestCollectorServesTheCounts(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 400)
	n, _ := start(t, notify.Config{URL: notify.WebhookURL(r.server.URL), Secret: secret, Retry: fast}, &syncBuffer{})
	n.Notify(needsReauth)
	n.Notify(disabled)
	idle(t, n)
	reg := prometheus.NewRegistry()
	reg.MustRegister(n.Collector())
	want := `
# HELP sfcdc_notifications_total State changes of an integration that needed a person (needs_reauth, disabled, and the recovery from them); each is logged.
# TYPE sfcdc_notifications_total counter
sfcdc_notifications_total 2
# HELP sfcdc_notification_webhook_total Notifications by their webhook outcome: sent, failed (refused or retries exhausted), dropped (a full queue or a stop).
# TYPE sfcdc_notification_webhook_total counter
sfcdc_notification_webhook_total{result="dropped"} 0
sfcdc_notification_webhook_total{result="failed"} 1
sfcdc_notification_webhook_total{result="sent"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sfcdc_notifications_total", "sfcdc_notification_webhook_total"); err != nil {
		t.Fatal(err)
	}
}

// A configuration that cannot work is refused with what to fix.
func TestCheckNamesTheFix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  notify.Config
		want string
	}{
		{notify.Config{URL: "https://hooks.example/x"}, "needs a secret"},
		{notify.Config{URL: "ftp://hooks.example/x", Secret: "s"}, "absolute http:// or https:// URL"},
		{notify.Config{URL: "/relative", Secret: "s"}, "absolute http:// or https:// URL"},
		{notify.Config{URL: "https://hooks.example/%zz-CANARY-path", Secret: "s"}, "does not parse"},
		{notify.Config{Queue: -1}, "at least 1"},
		{notify.Config{Timeout: -time.Second}, "must not be negative"},
	} {
		_, err := notify.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v; want one saying %q", string(c.cfg.URL), err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "CANARY") {
			t.Errorf("the error quotes the URL's path: %v", err)
		}
	}
}
