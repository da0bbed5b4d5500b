package serve

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
)

// Figures holds the figures of every integration running on this
// instance, for /metrics: each run adds its engine's snapshot while it
// runs and removes it when it returns, so a series lives exactly as long
// as the integration runs here (bounded cardinality: one integration label
// value per integration this instance runs). Safe for concurrent use; the
// zero value is empty.
type Figures struct {
	mu   sync.Mutex
	runs map[string]figuresOf
	next uint64
}

type figuresOf struct {
	id       uint64
	snapshot func() []figures.Topic
}

// add registers one run's snapshot function under its integration's name
// and returns the function that removes it (only it: a later run of the
// same integration that added itself meanwhile stays).
func (f *Figures) add(name string, snapshot func() []figures.Topic) (remove func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runs == nil {
		f.runs = map[string]figuresOf{}
	}
	f.next++
	id := f.next
	f.runs[name] = figuresOf{id: id, snapshot: snapshot}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.runs[name].id == id {
			delete(f.runs, name)
		}
	}
}

// Integrations is every running integration's topics, sorted by name.
// The snapshots are taken outside the lock: an engine's snapshot takes its
// own locks, and a run starting or ending must not wait for a scrape.
func (f *Figures) Integrations() []monitor.Integration {
	f.mu.Lock()
	names := make([]string, 0, len(f.runs))
	snaps := make(map[string]func() []figures.Topic, len(f.runs))
	for name, r := range f.runs {
		names = append(names, name)
		snaps[name] = r.snapshot
	}
	f.mu.Unlock()
	slices.Sort(names)
	out := make([]monitor.Integration, 0, len(names))
	for _, name := range names {
		out = append(out, monitor.Integration{Name: name, Topics: snaps[name]()})
	}
	return out
}

// watchFigures adds eng to f for as long as the returned function is not
// called; a nil f watches nothing.
func (f *Figures) watch(name string, eng *engine.Engine) func() {
	if f == nil {
		return func() {}
	}
	return f.add(name, eng.Snapshot)
}

// IntegrationStates are the states sfcdc_integrations counts, each always
// present (0 when none), so a dashboard's series never vanish.
var IntegrationStates = []string{StateStarting, StateBackfilling, StateStreaming, StateError, StateDisabled, StateUnassigned}

// overviewTimeout bounds a scrape's or a probe's read of the registry and
// the reports.
const overviewTimeout = 5 * time.Second

var (
	descIntegrations = prometheus.NewDesc("sfcdc_integrations",
		"Integrations of the registry by state across the instances (sfcdc integrations list's STATE).", []string{"state"}, nil)
	descUnitsHeld = prometheus.NewDesc("sfcdc_units_held",
		"Units (topics and polling parts of integrations) this instance runs now.", nil, nil)
)

// deploymentCollector serves the counts of the whole deployment and of
// this instance, read at each scrape.
type deploymentCollector struct {
	registry *registry.Registry
	reports  replay.ReportStore
	sched    *atomic.Pointer[Scheduler]
	log      *slog.Logger
}

func (c deploymentCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descIntegrations
	ch <- descUnitsHeld
}

func (c deploymentCollector) Collect(ch chan<- prometheus.Metric) {
	held := 0
	if s := c.sched.Load(); s != nil {
		for _, r := range s.Running() {
			held += len(r.Units)
		}
	}
	ch <- prometheus.MustNewConstMetric(descUnitsHeld, prometheus.GaugeValue, float64(held))
	ctx, cancel := context.WithTimeout(context.Background(), overviewTimeout)
	defer cancel()
	views, err := ReadOverview(ctx, c.registry, c.reports)
	if err != nil {
		// Absent rather than zero: "no integrations" would be a lie.
		c.log.Warn("sfcdc_integrations: could not read the registry", "err", err.Error())
		ch <- prometheus.NewInvalidMetric(descIntegrations, err)
		return
	}
	counts := map[string]int{}
	for _, v := range views {
		counts[v.State]++
	}
	for _, st := range IntegrationStates {
		ch <- prometheus.MustNewConstMetric(descIntegrations, prometheus.GaugeValue, float64(counts[st]), st)
	}
}

// startMonitor starts the monitoring server of s (nil when off, or when
// the default address is busy: see monitor.Serve).
func startMonitor(s Settings, reg *registry.Registry, store replay.Store, figs *Figures, sched *atomic.Pointer[Scheduler], pages http.Handler, more []prometheus.Collector, log *slog.Logger) (*monitor.Server, error) {
	cfg := monitor.Config{
		Pages:        pages,
		Listen:       s.Listen,
		Integrations: figs.Integrations,
		Collectors:   append([]prometheus.Collector{deploymentCollector{registry: reg, reports: store, sched: sched, log: log}}, more...),
		Ready: func(ctx context.Context) (bool, []string, error) {
			ctx, cancel := context.WithTimeout(ctx, overviewTimeout)
			defer cancel()
			views, err := ReadOverview(ctx, reg, store)
			if err != nil {
				return false, nil, err
			}
			ready, why := Ready(views)
			return ready, why, nil
		},
	}
	return monitor.Serve(monitor.Settings{Listen: s.Listen}, cfg, monitor.DefaultListen, log)
}
