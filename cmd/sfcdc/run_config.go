package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
)

// defaultShutdownGrace bounds the drain after SIGINT/SIGTERM.
const defaultShutdownGrace = 30 * time.Second

// runSection is `run:` in the configuration file: how `sfcdc run`
// streams. Every zero value takes the documented default.
type runSection struct {
	// Start is where a topic that never had a checkpoint begins: backfill
	// (default: load its objects over REST, then stream from EARLIEST),
	// earliest or latest.
	Start string `yaml:"start"`
	// Recovery is what a topic does when its replay ID expired or its
	// checkpoint vanished: backfill (default: backfill the uncovered
	// window, then stream from EARLIEST) or stop.
	Recovery string `yaml:"recovery"`
	// RecoveryOverlap starts the recovery window this much before the last
	// checkpoint's commit time. Zero: 5m.
	RecoveryOverlap time.Duration `yaml:"recovery_overlap"`
	// StartClockSkew is how far this host's clock may be from Salesforce's:
	// with start: backfill, the stream passes events committed before the
	// initial backfill began less this margin. Zero: 1m.
	StartClockSkew time.Duration `yaml:"start_clock_skew"`
	// BudgetRetry is how long a load stopped at backfill.api_budget_percent
	// (initial, recovery or polling) waits before it tries again, with its
	// topic in state paused; the other topics go on. Zero: 30m.
	BudgetRetry time.Duration `yaml:"budget_retry"`
	// PollingObjects are read by REST polling (backfill.poll_interval)
	// instead of streamed: objects without change events.
	PollingObjects []string `yaml:"polling_objects"`
	// DetectPolling adds, at start, the objects Salesforce describes
	// without a change event (two REST calls per object; objects with an
	// explicit topic are not asked). Zero: true.
	DetectPolling *bool `yaml:"detect_polling"`
	// LeaseTTL is the topic lease's time to live. Zero: 15s.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// FlushInterval is how often checkpoints are written. Zero: 1s.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Holder names this process in the leases. Zero: hostname, PID and a
	// random suffix.
	Holder string `yaml:"holder"`
	// ShutdownGrace bounds the drain after a signal: uploads in flight,
	// the last checkpoint flush, the lease release. Zero: 30s.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// SummaryInterval is how often each topic's one-line summary (events,
	// comments, lag) is logged at info. Zero: 5m.
	SummaryInterval time.Duration `yaml:"summary_interval"`
	// DeadLetters is the automatic retry of dead letters (run_deadletters.go).
	DeadLetters deadLettersSection `yaml:"dead_letters"`
}

// validate names each bad key and its fix.
func (r runSection) validate() error {
	if problems := r.problems(); len(problems) > 0 {
		return usageError{errors.New("invalid run section:\n  " + strings.Join(problems, "\n  "))}
	}
	return nil
}

// problems lists what is wrong with the section, each naming its run.<key>.
// A negative duration is named by its own key here (the pipeline names
// several keys in one message, some not in this section) and zeroed for
// the pipeline's check of the rest.
func (r runSection) problems() []string {
	var out []string
	for _, d := range []struct {
		name  string
		value *time.Duration
	}{{"recovery_overlap", &r.RecoveryOverlap}, {"start_clock_skew", &r.StartClockSkew}, {"budget_retry", &r.BudgetRetry},
		{"lease_ttl", &r.LeaseTTL}, {"flush_interval", &r.FlushInterval}, {"shutdown_grace", &r.ShutdownGrace}} {
		if *d.value < 0 {
			out = append(out, fmt.Sprintf("run.%s: %s is negative; use 0 for the default", d.name, *d.value))
			*d.value = 0
		}
	}
	out = append(out, r.DeadLetters.problems()...)
	out = append(out, keyed("run.", r.daemonConfig("org", "holder").Validate())...)
	return append(out, keyed("run.", r.storeKeyProblems())...)
}

// storeKeyProblems applies the store's rule for names (replay.CheckName)
// to the values that become store keys: the holder, written into every
// lease, and the polling objects, which key watermarks and status. The
// store would refuse them only when the first lease is taken, with exit
// 1; here they are configuration errors.
func (r runSection) storeKeyProblems() error {
	var err error
	if r.Holder != "" {
		if cerr := replay.CheckName(r.Holder); cerr != nil {
			err = fmt.Errorf("holder: %w; name this process with at most %d printable bytes, or remove holder for hostname-PID-random", cerr, replay.MaxNameBytes)
		}
	}
	for i, object := range r.PollingObjects {
		if cerr := replay.CheckName(object); cerr != nil {
			err = errors.Join(err, fmt.Errorf("polling_objects[%d]: %w; give the object's API name", i, cerr))
		}
	}
	return err
}

func (r runSection) detectPolling() bool { return r.DetectPolling == nil || *r.DetectPolling }

func (r runSection) grace() time.Duration {
	if r.ShutdownGrace > 0 {
		return r.ShutdownGrace
	}
	return defaultShutdownGrace
}

// daemonConfig is the pipeline's view of the section. Uploads drain for
// half the grace, leaving the rest for the checkpoint flush and lease
// release.
func (r runSection) daemonConfig(org, holder string) pipeline.DaemonConfig {
	return pipeline.DaemonConfig{
		Org: org, Holder: holder,
		Start: pipeline.NewTopicStart(r.Start), Recovery: pipeline.RecoveryPolicy(r.Recovery),
		RecoveryOverlap: r.RecoveryOverlap, StartClockSkew: r.StartClockSkew, PollingObjects: slices.Clone(r.PollingObjects),
		BudgetRetry: r.BudgetRetry, SummaryInterval: r.SummaryInterval,
		Worker: pipeline.Config{LeaseTTL: r.LeaseTTL, FlushInterval: r.FlushInterval, DrainTimeout: r.grace() / 2},
	}
}

// holder is the configured holder, or hostname, PID and a random suffix:
// unique per process, so a restarted process never mistakes the lease of
// its predecessor for its own.
func (r runSection) holder() string {
	if r.Holder != "" {
		return r.Holder
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// monitoringOff is the monitoring.listen (and --listen) value that turns
// the monitoring server off.
const monitoringOff = "off"

// monitoringSection is `monitoring:` in the configuration file: where
// `sfcdc run` serves /metrics, /healthz and /readyz. Every zero value
// takes the documented default.
type monitoringSection struct {
	// Listen is host:port to serve on, or off. Zero: 127.0.0.1:9464
	// (loopback only; use :9464 to let a scraper on another host in). A
	// configured address in use is an error; the default one in use (a
	// second instance on the host) leaves this process without endpoints,
	// with a warning.
	Listen string `yaml:"listen"`
	// ReadyWindow is how long a streaming topic may go without an event or
	// a keepalive and still be ready (Salesforce sends a keepalive within
	// 270s of silence). Zero: 330s.
	ReadyWindow time.Duration `yaml:"ready_window"`
}

// withListen applies the --listen flag, which wins over the file.
func (m monitoringSection) withListen(flag string) monitoringSection {
	if flag != "" {
		m.Listen = flag
	}
	return m
}

func (m monitoringSection) enabled() bool { return !strings.EqualFold(m.Listen, monitoringOff) }

// validate names each bad key and its fix.
func (m monitoringSection) validate() error {
	if problems := m.problems(); len(problems) > 0 {
		return usageError{errors.New("invalid monitoring section (or --listen):\n  " + strings.Join(problems, "\n  "))}
	}
	return nil
}

// problems lists what is wrong with the section, each naming its
// monitoring.<key>; off needs no address.
func (m monitoringSection) problems() []string {
	if !m.enabled() {
		m.Listen = ""
	}
	return keyed("monitoring.", m.monitorConfig().Validate())
}

// monitorConfig is the monitor's view of the section; the snapshot
// functions are the caller's to add.
func (m monitoringSection) monitorConfig() monitor.Config {
	return monitor.Config{Listen: m.Listen, ReadyWindow: m.ReadyWindow}
}
