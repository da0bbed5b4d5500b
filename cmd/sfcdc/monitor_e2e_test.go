package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// startMonitoredRun starts `sfcdc run` with args in this process.
func startMonitoredRun(t *testing.T, env []string, args ...string) *runningCmd {
	t.Helper()
	return startInProcess(t, env, append([]string{"run"}, args...)...)
}

// loopbackAddr is a loopback host:port nobody listens on right now.
func loopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status and body of a GET, or code 0 when nothing
// answers yet.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrapeMetrics parses a /metrics body; nil when it does not answer yet.
func scrapeMetrics(t *testing.T, addr string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		return nil, body
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v\n%s", err, body)
	}
	return mf, body
}

// sample is the value of name's series with every label of want (nil
// labels: the first series); ok is false when there is none.
func sample(mf map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	fam, ok := mf[name]
	if !ok {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		match := true
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// Not parallel: the lines gRPC and go-redis write on their own go to the
// log of the latest run in this process (process.go); alone, that is this
// run's log, which the test reads for JSON and secrets.
func TestRunServesMetricsHealthAndReadinessAndLogsOnlyJSON(t *testing.T) {
	const topic = "/data/EmailMessageChangeEvent"
	b := startSim(t, "--rate", "40", "--seed-records", "20")
	config := backfillConfig(t, b, redisKeyPrefix(t), "run:\n  flush_interval: 50ms\n  shutdown_grace: 20s\n")
	addr := loopbackAddr(t)
	p := startMonitoredRun(t, backfillEnv(b), "--config", config, "--listen", addr, "--log-format", "json")

	onTopic := map[string]string{"topic": topic}
	var mf map[string]*dto.MetricFamily
	p.await(t, "streamed events, new comments and the streaming state in /metrics", func() bool {
		mf, _ = scrapeMetrics(t, addr)
		events, _ := sample(mf, "sfcdc_events_total", onTopic)
		created, _ := sample(mf, "sfcdc_comments_total", map[string]string{"topic": topic, "result": "new"})
		streaming, _ := sample(mf, "sfcdc_topic_state", map[string]string{"topic": topic, "state": "streaming"})
		return events > 0 && created > 0 && streaming == 1
	})

	mf, body := scrapeMetrics(t, addr)
	if mf == nil {
		t.Fatalf("/metrics stopped answering: %s", body)
	}
	var created, updated float64
	for _, m := range mf["sfcdc_comments_total"].GetMetric() {
		if labelOf(m, "topic") != topic {
			continue
		}
		switch labelOf(m, "result") {
		case "new":
			created = m.GetCounter().GetValue()
		case "updated":
			updated = m.GetCounter().GetValue()
		}
	}
	if billable, ok := sample(mf, "sfcdc_billable_units_total", onTopic); !ok || billable != created+updated {
		t.Errorf("billable_units_total = %v (present %v), want new %v + updated %v", billable, ok, created, updated)
	}
	if calls, ok := sample(mf, "sfcdc_rest_calls_total", nil); !ok || calls < 0 {
		t.Errorf("rest_calls_total = %v (present %v), want a count", calls, ok)
	}
	if up, _ := sample(mf, "sfcdc_up", nil); up != 1 {
		t.Errorf("sfcdc_up = %v, want 1", up)
	}
	if code, text := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q, want 200", code, text)
	}
	code, ready := httpGet(t, "http://"+addr+"/readyz")
	if code != http.StatusOK || !strings.Contains(ready, topic+": ready (streaming)") {
		t.Errorf("/readyz = %d %q, want 200 with the topic streaming", code, ready)
	}

	p.terminate(t)
	if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != 0 {
		t.Errorf("/healthz still answers %d after the command ended", code)
	}
	stderr := p.stderr.String()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	sawRunning := false
	for i, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("stderr line %d is not JSON (%v): %q", i+1, err, line)
		}
		if entry["msg"] == "running" && entry["monitoring"] == addr {
			sawRunning = true
		}
	}
	if !sawRunning {
		t.Errorf("no JSON \"running\" line naming the monitoring address %s:\n%s", addr, stderr)
	}
	for name, secret := range map[string]string{"the access token": b.AccessToken, "the client secret": b.ClientSecret,
		"the CM token": b.CommsMiningToken} {
		if secret == "" {
			t.Fatalf("the sim banner has no %s to look for", name)
		}
		for where, text := range map[string]string{"/metrics": body, "/readyz": ready, "stderr": stderr, "stdout": p.stdout.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s appears in %s", name, where)
			}
		}
	}
}

func labelOf(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func TestRunRefusesABusyMonitoringAddressNamingIt(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	config := backfillConfig(t, b, redisKeyPrefix(t), "monitoring:\n  listen: "+busy.Addr().String()+"\n")
	r := runInProcess(t, backfillEnv(b), "run", "--config", config)
	if r.code != exitUsage || !strings.Contains(r.stderr, busy.Addr().String()) || !strings.Contains(r.stderr, "monitoring.listen") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming the address and monitoring.listen", r.code, r.stderr)
	}
}

// With --log-format json even the line the process stops with is JSON,
// and the exit code is still the usage code.
func TestRunStopsWithAJSONErrorLineInJSONMode(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	config := backfillConfig(t, b, redisKeyPrefix(t), "monitoring:\n  listen: "+busy.Addr().String()+"\n")
	r := runInProcess(t, backfillEnv(b), "run", "--config", config, "--log-format", "json")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitUsage, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("stderr line is not JSON: %q", line)
		}
	}
	var last struct{ Level, Msg, Err string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Level != "ERROR" ||
		last.Msg != "sfcdc stopped" || !strings.Contains(last.Err, "monitoring.listen") {
		t.Fatalf("last line %q: want an ERROR \"sfcdc stopped\" naming monitoring.listen", lines[len(lines)-1])
	}
}

func TestRunRefusesAnUnknownLogFormat(t *testing.T) {
	t.Parallel()
	r := runInProcess(t, nil, "run", "--config", "unused.yaml", "--log-format", "yaml")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--log-format "yaml": want text or json`) {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming --log-format", r.code, r.stderr)
	}
}
