package monitor_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/monitor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
}

// clock is a settable time shared by a test and its server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// snapshot is the figures a test feeds the server; tests change them
// between requests.
type snapshot struct {
	mu      sync.Mutex
	topics  []figures.Topic
	process monitor.Process
}

func (s *snapshot) set(topics ...figures.Topic) {
	s.mu.Lock()
	s.topics = topics
	s.mu.Unlock()
}

func (s *snapshot) setProcess(p monitor.Process) {
	s.mu.Lock()
	s.process = p
	s.mu.Unlock()
}

func (s *snapshot) Topics() []figures.Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]figures.Topic(nil), s.topics...)
}

func (s *snapshot) Process() monitor.Process { s.mu.Lock(); defer s.mu.Unlock(); return s.process }

// start serves snap on a free loopback port until the test ends.
func start(t *testing.T, snap *snapshot, clk *clock, window time.Duration) *monitor.Server {
	t.Helper()
	srv, err := monitor.Start(monitor.Config{Listen: "127.0.0.1:0", ReadyWindow: window,
		Topics: snap.Topics, Process: snap.Process, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close the monitor: %v", err)
		}
	})
	return srv
}

// get fetches path from the server over its socket.
func get(t *testing.T, srv *monitor.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + srv.Addr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape parses /metrics in the Prometheus text format.
func scrape(t *testing.T, srv *monitor.Server) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, srv, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return families
}

// value is the sample of family name whose labels include want; ok is
// false when there is none.
func value(families map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := families[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// mustValue is value, failing the test when the sample is absent.
func mustValue(t *testing.T, families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	v, ok := value(families, name, want)
	if !ok {
		t.Fatalf("no sample %s%v in the scrape", name, want)
	}
	return v
}
