package integration

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// DefaultShutdownGrace bounds the drain after SIGINT/SIGTERM.
const DefaultShutdownGrace = 30 * time.Second

// Run is `run:` in the configuration file: how the integration
// streams. Every zero value takes the documented default.
type Run struct {
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
	// DeadLetters is the automatic retry of dead letters (deadletters.go).
	DeadLetters DeadLetters `yaml:"dead_letters"`
}

// Validate names each bad key and its fix.
func (r Run) Validate() error {
	if problems := r.problems(); len(problems) > 0 {
		return Invalid(errors.New("invalid run section:\n  " + strings.Join(problems, "\n  ")))
	}
	return nil
}

// problems lists what is wrong with the section, each naming its run.<key>.
// A negative duration is named by its own key; start and recovery must be
// among their values (choiceProblems).
func (r Run) problems() []string {
	var out []string
	for _, d := range []struct {
		name  string
		value *time.Duration
	}{{"recovery_overlap", &r.RecoveryOverlap}, {"start_clock_skew", &r.StartClockSkew}, {"budget_retry", &r.BudgetRetry},
		{"lease_ttl", &r.LeaseTTL}, {"flush_interval", &r.FlushInterval}, {"shutdown_grace", &r.ShutdownGrace},
		{"summary_interval", &r.SummaryInterval}} {
		if *d.value < 0 {
			out = append(out, fmt.Sprintf("run.%s: %s is negative; use 0 for the default", d.name, *d.value))
			*d.value = 0
		}
	}
	out = append(out, r.DeadLetters.problems()...)
	out = append(out, r.choiceProblems()...)
	return append(out, Keyed("run.", r.storeKeyProblems())...)
}

// The values of run.start and run.recovery. engine turns them into the
// pipeline's own (engine.DaemonConfig); its tests check that the pipeline
// accepts each of them, so the two lists cannot drift apart.
var (
	StartValues    = []string{"backfill", "earliest", "latest"}
	RecoveryValues = []string{"backfill", "stop"}
)

// choiceProblems names a run.start or run.recovery that is none of its
// values (empty takes the default: backfill).
func (r Run) choiceProblems() []string {
	var out []string
	if r.Start != "" && !slices.Contains(StartValues, r.Start) {
		out = append(out, fmt.Sprintf("run.start: %s is not backfill, earliest or latest", quote.Value(r.Start)))
	}
	if r.Recovery != "" && !slices.Contains(RecoveryValues, r.Recovery) {
		out = append(out, fmt.Sprintf("run.recovery: %s is not backfill or stop", quote.Value(r.Recovery)))
	}
	return out
}

// storeKeyProblems applies the store's rule for names (replay.CheckName)
// to the values that become store keys: the holder, written into every
// lease, and the polling objects, which key watermarks and status. The
// store would refuse them only when the first lease is taken, with exit
// 1; here they are configuration errors.
func (r Run) storeKeyProblems() error {
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

// DetectsPolling is run.detect_polling with its default (true).
func (r Run) DetectsPolling() bool { return r.DetectPolling == nil || *r.DetectPolling }

// Grace is run.shutdown_grace with its default.
func (r Run) Grace() time.Duration {
	if r.ShutdownGrace > 0 {
		return r.ShutdownGrace
	}
	return DefaultShutdownGrace
}
