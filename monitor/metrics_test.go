package monitor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/monitor"
)

const (
	emailTopic = "/data/EmailMessageChangeEvent"
	caseTopic  = "/data/CaseChangeEvent"
)

func TestAScrapeShowsEverySnapshotFigureUnderItsMetric(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	email := figures.Topic{
		Topic: emailTopic, Objects: []string{"EmailMessage"}, State: figures.StateStreaming, Holder: "host-1",
		Events: 120, Keepalives: 7, Reconnects: 2, OutstandingCredits: 55,
		CommentsNew: 90, CommentsUpdated: 11, CommentsUnchanged: 13, CommentsDeleted: 4, UploadFailures: 3, DeadLetters: 1,
		FetchCalls: 9, RecordsFetched: 210,
		LastEventAt: now.Add(-2 * time.Second), LastKeepaliveAt: now.Add(-30 * time.Second), LastCheckpointAt: now.Add(-1500 * time.Millisecond),
		ReplayAge: 90 * time.Second, Lag: 2500 * time.Millisecond,
	}
	cases := figures.Topic{Topic: caseTopic, Objects: []string{"Case"}, State: figures.StateStandby, Events: 5, CommentsNew: 1}
	snap := &snapshot{}
	snap.set(email, cases)
	snap.setProcess(monitor.Process{RESTCalls: 42, TokenRequests: 3, APIRequestsUsed: 250, APIRequestsMax: 1000, APIUsageKnown: true})
	srv := start(t, snap, clk, 0)

	mf := scrape(t, srv)
	e := map[string]string{"topic": emailTopic}
	for name, want := range map[string]float64{
		"sfcdc_events_total":                 120,
		"sfcdc_keepalives_total":             7,
		"sfcdc_reconnects_total":             2,
		"sfcdc_outstanding_credits":          55,
		"sfcdc_billable_units_total":         101,
		"sfcdc_dead_letters_total":           1,
		"sfcdc_fetch_calls_total":            9,
		"sfcdc_records_fetched_total":        210,
		"sfcdc_checkpoint_age_seconds":       1.5,
		"sfcdc_replay_age_seconds":           90,
		"sfcdc_lag_seconds":                  2.5,
		"sfcdc_last_event_timestamp_seconds": float64(now.Add(-2 * time.Second).Unix()),
		"sfcdc_topic_ready":                  1,
	} {
		if got := mustValue(t, mf, name, e); got != want {
			t.Errorf("%s{topic=%q} = %v, want %v", name, emailTopic, got, want)
		}
	}
	for result, want := range map[string]float64{"new": 90, "updated": 11, "unchanged": 13, "deleted": 4, "failed": 3} {
		if got := mustValue(t, mf, "sfcdc_comments_total", map[string]string{"topic": emailTopic, "result": result}); got != want {
			t.Errorf("comments_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	for _, state := range []string{"starting", "streaming", "backfilling", "recovering", "standby", "stopped", "failed"} {
		want := 0.0
		if state == "streaming" {
			want = 1
		}
		if got := mustValue(t, mf, "sfcdc_topic_state", map[string]string{"topic": emailTopic, "state": state}); got != want {
			t.Errorf("topic_state{state=%q} = %v, want %v", state, got, want)
		}
	}
	if got := mustValue(t, mf, "sfcdc_topic_state", map[string]string{"topic": caseTopic, "state": "standby"}); got != 1 {
		t.Errorf("the standby topic's state series is %v, want 1", got)
	}
	if got := mustValue(t, mf, "sfcdc_events_total", map[string]string{"topic": caseTopic}); got != 5 {
		t.Errorf("the second topic's events_total is %v, want 5", got)
	}
	for name, want := range map[string]float64{
		"sfcdc_up": 1, "sfcdc_rest_calls_total": 42, "sfcdc_oauth_token_requests_total": 3,
		"sfcdc_api_requests_used": 250, "sfcdc_api_requests_max": 1000, "sfcdc_api_usage_ratio": 0.25,
	} {
		if got := mustValue(t, mf, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// Unknown ages are absent, not 0 (which would read as "just now").
	for _, name := range []string{"sfcdc_checkpoint_age_seconds", "sfcdc_last_event_timestamp_seconds", "sfcdc_replay_age_seconds"} {
		if _, ok := value(mf, name, map[string]string{"topic": caseTopic}); ok {
			t.Errorf("%s has a sample for a topic that never had one", name)
		}
	}
}

func TestEveryScrapeReadsTheSnapshotAnew(t *testing.T) {
	clk := newClock()
	snap := &snapshot{}
	snap.set(figures.Topic{Topic: emailTopic, State: figures.StateStarting})
	srv := start(t, snap, clk, 0)
	if got := mustValue(t, scrape(t, srv), "sfcdc_topic_state", map[string]string{"topic": emailTopic, "state": "starting"}); got != 1 {
		t.Fatalf("starting = %v, want 1", got)
	}

	snap.set(figures.Topic{Topic: emailTopic, State: figures.StateStreaming, Events: 3, CommentsNew: 2, CommentsUpdated: 1})
	mf := scrape(t, srv)
	if got := mustValue(t, mf, "sfcdc_events_total", map[string]string{"topic": emailTopic}); got != 3 {
		t.Fatalf("events_total = %v after the snapshot changed, want 3", got)
	}
	if got := mustValue(t, mf, "sfcdc_billable_units_total", map[string]string{"topic": emailTopic}); got != 3 {
		t.Fatalf("billable_units_total = %v, want new+updated = 3", got)
	}
	for state, want := range map[string]float64{"starting": 0, "streaming": 1} {
		if got := mustValue(t, mf, "sfcdc_topic_state", map[string]string{"topic": emailTopic, "state": state}); got != want {
			t.Fatalf("topic_state{state=%q} = %v, want %v", state, got, want)
		}
	}
}

func TestAPIUsageMetricsAreAbsentUntilSalesforceReportedIt(t *testing.T) {
	snap := &snapshot{}
	snap.setProcess(monitor.Process{RESTCalls: 0})
	srv := start(t, snap, newClock(), 0)
	mf := scrape(t, srv)
	for _, name := range []string{"sfcdc_api_requests_used", "sfcdc_api_requests_max", "sfcdc_api_usage_ratio"} {
		if _, ok := mf[name]; ok {
			t.Errorf("%s is present before any Sforce-Limit-Info header", name)
		}
	}
	// The call counter is there from the start, at 0.
	if got := mustValue(t, mf, "sfcdc_rest_calls_total", nil); got != 0 {
		t.Fatalf("rest_calls_total = %v, want 0", got)
	}
}

func TestARepeatedTopicAndAnUnknownStateDoNotBreakTheScrape(t *testing.T) {
	snap := &snapshot{}
	snap.set(figures.Topic{Topic: emailTopic, State: "paused", Events: 1}, figures.Topic{Topic: emailTopic, Events: 99})
	srv := start(t, snap, newClock(), 0)
	mf := scrape(t, srv)
	if got := mustValue(t, mf, "sfcdc_events_total", map[string]string{"topic": emailTopic}); got != 1 {
		t.Fatalf("events_total = %v, want the first topic's 1", got)
	}
	if got := mustValue(t, mf, "sfcdc_topic_state", map[string]string{"topic": emailTopic, "state": "paused"}); got != 1 {
		t.Fatalf("the unknown state's series = %v, want 1", got)
	}
	if n := len(mf["sfcdc_events_total"].GetMetric()); n != 1 {
		t.Fatalf("%d events_total series for one topic, want 1", n)
	}
}

func TestMetricNamesAllCarryThePrefixAndLabelsStayBounded(t *testing.T) {
	snap := &snapshot{}
	snap.set(figures.Topic{Topic: emailTopic, Objects: []string{"EmailMessage"}, State: figures.StateFailed,
		Holder: "host-1-4242-abcd", LastError: "upload 02s000000000001: rejected", LastEventAt: newClock().Now()})
	srv := start(t, snap, newClock(), 0)
	for name, mf := range scrape(t, srv) {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			continue // the client library's runtime collectors
		}
		if !strings.HasPrefix(name, "sfcdc_") {
			t.Errorf("metric %s lacks the sfcdc_ prefix", name)
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() != "topic" && lp.GetName() != "state" && lp.GetName() != "result" {
					t.Errorf("%s has label %s=%q: only topic, state and result keep cardinality bounded", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
	_, body := get(t, srv, "/metrics")
	for _, s := range []string{"host-1-4242-abcd", "02s000000000001"} {
		if strings.Contains(body, s) {
			t.Errorf("the scrape contains %q (holder or record ID): unbounded cardinality", s)
		}
	}
}
