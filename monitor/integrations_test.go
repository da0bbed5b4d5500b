package monitor_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/monitor"
)

// A process running many integrations: the same topic in two
// integrations is two series told apart by the integration label, every
// per-topic family carries it, extra collectors are served beside, and
// /readyz is Config.Ready's answer.
func TestIntegrationsLabelEachTopicSeriesAndReadyAnswersReadyz(t *testing.T) {
	clk := newClock()
	ins := []monitor.Integration{
		{Name: "acme/a", Topics: []figures.Topic{{Topic: caseTopic, State: figures.StateStreaming, Events: 3, LastEventAt: clk.Now()}}},
		{Name: "acme/b", Topics: []figures.Topic{{Topic: caseTopic, State: figures.StateBackfilling, Events: 7}}},
		{Name: "acme/a", Topics: []figures.Topic{{Topic: caseTopic, Events: 99}}}, // repeated: dropped, not a failed scrape
	}
	extra := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sfcdc_units_held", Help: "test"})
	extra.Set(4)
	var ready atomic.Bool
	why := []string{"acme/b /data/CaseChangeEvent: no instance runs it"}
	srv, err := monitor.Start(monitor.Config{Listen: "127.0.0.1:0", Now: clk.Now, Collectors: []prometheus.Collector{extra},
		Integrations: func() []monitor.Integration { return ins },
		Ready:        func(context.Context) (bool, []string, error) { return ready.Load(), why, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })

	mf := scrape(t, srv)
	for name, want := range map[string]float64{"acme/a": 3, "acme/b": 7} {
		if got := mustValue(t, mf, "sfcdc_events_total", map[string]string{"integration": name, "topic": caseTopic}); got != want {
			t.Errorf("events of %s: %v, want %v", name, got, want)
		}
	}
	if n := len(mf["sfcdc_events_total"].GetMetric()); n != 2 {
		t.Errorf("%d events series, want one per integration and topic (2)", n)
	}
	for name, fam := range mf {
		if !strings.HasPrefix(name, "sfcdc_") || name == "sfcdc_up" || name == "sfcdc_units_held" || strings.HasPrefix(name, "sfcdc_rest") ||
			strings.HasPrefix(name, "sfcdc_oauth") {
			continue
		}
		for _, m := range fam.GetMetric() {
			has := false
			for _, l := range m.GetLabel() {
				has = has || l.GetName() == "integration"
			}
			if !has {
				t.Errorf("%s has a series without the integration label", name)
			}
		}
	}
	if got := mustValue(t, mf, "sfcdc_topic_state", map[string]string{"integration": "acme/b", "state": "backfilling"}); got != 1 {
		t.Errorf("acme/b's state backfilling = %v", got)
	}
	if got := mustValue(t, mf, "sfcdc_units_held", nil); got != 4 {
		t.Errorf("the extra collector's gauge = %v, want 4", got)
	}

	if code, body := get(t, srv, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, why[0]) {
		t.Errorf("/readyz while a unit is unowned: %d %q", code, body)
	}
	ready.Store(true) // the server reads it on the next request only
	if code, body := get(t, srv, "/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz once every unit is owned: %d %q", code, body)
	}
}

func TestTopicsAndIntegrationsExcludeEachOther(t *testing.T) {
	_, err := monitor.Start(monitor.Config{Listen: "127.0.0.1:0", Topics: func() []figures.Topic { return nil },
		Integrations: func() []monitor.Integration { return nil }})
	if err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Fatalf("Start with both: %v", err)
	}
}
