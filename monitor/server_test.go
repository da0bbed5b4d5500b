package monitor_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/monitor"
)

func TestReadinessFollowsEachTopicsStateAndSilence(t *testing.T) {
	clk := newClock()
	snap := &snapshot{}
	srv := start(t, snap, clk, monitor.DefaultReadyWindow)
	now := clk.Now()
	streaming := func(heard time.Time) figures.Topic {
		return figures.Topic{Topic: emailTopic, State: figures.StateStreaming, LastKeepaliveAt: heard}
	}
	for _, tc := range []struct {
		name     string
		topic    figures.Topic
		wantCode int
		wantBody string
	}{
		{"streaming with a keepalive a minute ago", streaming(now.Add(-time.Minute)), 200, emailTopic + ": ready (streaming)"},
		{"streaming with an event a second ago", figures.Topic{Topic: emailTopic, State: figures.StateStreaming, LastEventAt: now.Add(-time.Second)}, 200, "ready"},
		{"streaming, nothing for six minutes", streaming(now.Add(-6 * time.Minute)), 503, emailTopic + ": not ready: streaming, but no event or keepalive for 6m0s"},
		{"standby", figures.Topic{Topic: emailTopic, State: figures.StateStandby}, 200, emailTopic + ": ready (standby)"},
		{"backfilling", figures.Topic{Topic: emailTopic, State: figures.StateBackfilling}, 200, "ready (backfilling)"},
		{"recovering", figures.Topic{Topic: emailTopic, State: figures.StateRecovering}, 200, "ready (recovering)"},
		{"failed", figures.Topic{Topic: emailTopic, State: figures.StateFailed, LastError: "subscribe: unknown topic\nsecond line"}, 503,
			emailTopic + ": not ready: failed: subscribe: unknown topic second line"},
		{"starting", figures.Topic{Topic: emailTopic, State: figures.StateStarting}, 503, "not ready: starting"},
		{"stopped", figures.Topic{Topic: emailTopic, State: figures.StateStopped}, 503, "not ready: stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap.set(tc.topic)
			code, body := get(t, srv, "/readyz")
			if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("/readyz = %d %q, want %d containing %q", code, body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestOneStaleTopicMakesTheProcessNotReadyAndIsTheOneNamed(t *testing.T) {
	clk := newClock()
	snap := &snapshot{}
	srv := start(t, snap, clk, time.Minute)
	now := clk.Now()
	snap.set(
		figures.Topic{Topic: emailTopic, State: figures.StateStreaming, LastEventAt: now.Add(-5 * time.Second)},
		figures.Topic{Topic: caseTopic, State: figures.StateStreaming, LastKeepaliveAt: now.Add(-2 * time.Minute)},
	)
	code, body := get(t, srv, "/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d, want 503:\n%s", code, body)
	}
	if !strings.Contains(body, caseTopic+": not ready: streaming, but no event or keepalive for 2m0s (monitoring.ready_window 1m0s)") ||
		strings.Contains(body, emailTopic+": not ready") {
		t.Fatalf("/readyz body does not name exactly the stale topic:\n%s", body)
	}
	if got := mustValue(t, scrape(t, srv), "sfcdc_topic_ready", map[string]string{"topic": caseTopic}); got != 0 {
		t.Fatalf("topic_ready of the stale topic = %v, want 0", got)
	}

	// A keepalive arrives: ready again.
	snap.set(
		figures.Topic{Topic: emailTopic, State: figures.StateStreaming, LastEventAt: now.Add(-5 * time.Second)},
		figures.Topic{Topic: caseTopic, State: figures.StateStreaming, LastKeepaliveAt: now},
	)
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after the keepalive = %d, want 200:\n%s", code, body)
	}
}

func TestATopicThatJustBeganStreamingHasOneWindowForItsFirstKeepalive(t *testing.T) {
	clk := newClock()
	snap := &snapshot{}
	srv := start(t, snap, clk, time.Minute)
	snap.set(figures.Topic{Topic: emailTopic, State: figures.StateStreaming})
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK {
		t.Fatalf("a topic that just subscribed: /readyz = %d, want 200:\n%s", code, body)
	}
	clk.Advance(59 * time.Second)
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK {
		t.Fatalf("inside the window: /readyz = %d, want 200:\n%s", code, body)
	}
	clk.Advance(2 * time.Second)
	code, body := get(t, srv, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, emailTopic+": not ready: streaming, but no event or keepalive since it began streaming 1m1s ago") {
		t.Fatalf("past the window without a keepalive: /readyz = %d %q, want 503 naming the topic", code, body)
	}

	// Another stretch of streaming (after a restart of the worker) gets
	// its own window.
	snap.set(figures.Topic{Topic: emailTopic, State: figures.StateStarting})
	get(t, srv, "/readyz")
	snap.set(figures.Topic{Topic: emailTopic, State: figures.StateStreaming})
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK {
		t.Fatalf("a new streaming stretch: /readyz = %d, want 200:\n%s", code, body)
	}
}

func TestHealthzAnswersWhileTheServerRunsAndCloseEndsIt(t *testing.T) {
	srv, err := monitor.Start(monitor.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, srv, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz = %d %q, want 200 \"ok\"", code, body)
	}
	// No topics: nothing is not ready.
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz without topics = %d %q, want 200", code, body)
	}
	addr := srv.Addr()
	if err := srv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Close waited for the serving goroutine (goleak checks it at the end);
	// the port no longer answers.
	if conn, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after Close", addr)
	}
}

func TestABusyAddressIsAnErrorNamingItAndTheFix(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = monitor.Start(monitor.Config{Listen: busy.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) || !strings.Contains(err.Error(), "monitoring.listen") {
		t.Fatalf("Start on a busy address: %v, want an error naming the address and monitoring.listen", err)
	}
}

func TestConfigValidateNamesEachBadKey(t *testing.T) {
	err := monitor.Config{Listen: "9464", ReadyWindow: -time.Second}.Validate()
	if err == nil || !strings.Contains(err.Error(), "ready_window") || !strings.Contains(err.Error(), "listen: \"9464\" is not host:port") {
		t.Fatalf("Validate = %v, want errors naming ready_window and listen", err)
	}
	if err := (monitor.Config{}).Validate(); err != nil {
		t.Fatalf("the zero config is invalid: %v", err)
	}
}

// The pipeline says when a topic began streaming (StateSince): a monitor
// started after that judges the silence from then, not from its own
// first look, and its verdict is health.Judge's, the one `sfcdc status`
// shows, on /readyz and on sfcdc_topic_ready alike.
func TestReadinessIsHealthsVerdictFromWhenTheTopicBeganStreaming(t *testing.T) {
	clk := newClock()
	snap := &snapshot{}
	srv := start(t, snap, clk, time.Minute)
	topic := figures.Topic{Topic: emailTopic, State: figures.StateStreaming, StateSince: clk.Now().Add(-90 * time.Second), UpdatedAt: clk.Now()}
	snap.set(topic)
	want := health.Judge(topic, clk.Now(), health.Policy{ReadyWindow: time.Minute})
	code, body := get(t, srv, "/readyz")
	if want.Ready || code != http.StatusServiceUnavailable || !strings.Contains(body, emailTopic+": not ready: "+want.NotReady) {
		t.Fatalf("streaming for 90 s, nothing heard: /readyz = %d %q; health says %+v", code, body, want)
	}
	if ready := mustValue(t, scrape(t, srv), "sfcdc_topic_ready", map[string]string{"topic": emailTopic}); ready != 0 {
		t.Errorf("sfcdc_topic_ready = %v, want 0 like /readyz", ready)
	}
}
