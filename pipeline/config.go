package pipeline

import (
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// StartPosition is where a topic without a stored checkpoint begins.
type StartPosition string

const (
	// StartEarliest replays everything the bus still retains (the zero
	// value: losing nothing is the safe default).
	StartEarliest StartPosition = "earliest"
	// StartLatest receives only events published after the subscription.
	StartLatest StartPosition = "latest"
)

// Config is one topic worker's configuration. Zero durations and sizes take
// the documented defaults.
type Config struct {
	// Org is the Salesforce org ID the state is kept under. Required.
	Org string
	// Topic is the Pub/Sub channel, e.g. /data/EmailMessageChangeEvent.
	// Required.
	Topic string
	// Holder names this process in the lease; unique per process (host,
	// PID and a random suffix). Required.
	Holder string
	// Start applies only when the topic never had a checkpoint. Zero:
	// StartEarliest.
	Start StartPosition
	// LeaseTTL is how long the lease lasts without renewal. Zero: 15 s.
	LeaseTTL time.Duration
	// FlushInterval is how often the checkpoint is written. Zero: 1 s.
	FlushInterval time.Duration
	// FetchLinger is how long the first record waiting for a REST fetch
	// waits for others to share its request. Zero: 50 ms.
	FetchLinger time.Duration
	// FetchMaxIDs sends the fetch batch at once when it holds this many
	// record IDs. Zero: 200.
	FetchMaxIDs int
	// DrainTimeout bounds the wait for uploads in flight at shutdown.
	// Zero: 30 s.
	DrainTimeout time.Duration
	// MaxInFlightEvents caps events tracked but not yet done. Zero: 1,000.
	MaxInFlightEvents int
	// ResumeAtEarliest starts at EARLIEST whatever the stored checkpoint
	// says. Only a recovery sets it, after a REST backfill covered the
	// window the unusable (expired or vanished) checkpoint left open.
	ResumeAtEarliest bool
	// SkipCommittedBefore, when set, passes change events committed before
	// it without REST calls or uploads; the checkpoint advances over them.
	// Only the Daemon sets it, to the start instant of a topic's initial
	// or recovery backfill less a clock-skew margin: that backfill began
	// reading after those changes were committed, so CM already holds
	// their records in a version at least as new, and replaying them would
	// only re-bill older text. Zero: nothing is skipped.
	SkipCommittedBefore time.Time
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if c.Org == "" {
		errs = append(errs, errors.New("org: set the Salesforce org ID"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("topic: name the Pub/Sub channel, e.g. /data/CaseChangeEvent"))
	}
	if c.Holder == "" {
		errs = append(errs, errors.New("holder: name this process for the topic lease"))
	}
	switch c.Start {
	case "", StartEarliest, StartLatest:
	default:
		errs = append(errs, fmt.Errorf("start: %s is not earliest or latest", quote.Value(string(c.Start))))
	}
	for name, d := range map[string]time.Duration{"lease_ttl": c.LeaseTTL, "flush_interval": c.FlushInterval,
		"fetch_linger": c.FetchLinger, "drain_timeout": c.DrainTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative; use 0 for the default", name, d))
		}
	}
	if c.FetchMaxIDs < 0 || c.MaxInFlightEvents < 0 {
		errs = append(errs, errors.New("fetch_max_ids, max_in_flight_events: must not be negative; use 0 for the default"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Start == "" {
		c.Start = StartEarliest
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.FetchLinger == 0 {
		c.FetchLinger = 50 * time.Millisecond
	}
	if c.FetchMaxIDs == 0 {
		c.FetchMaxIDs = 200
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.MaxInFlightEvents == 0 {
		c.MaxInFlightEvents = 1000
	}
	return c
}
