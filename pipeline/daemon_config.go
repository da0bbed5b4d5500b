package pipeline

import (
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// NewTopicStart says where a topic that never had a checkpoint begins.
type NewTopicStart string

const (
	// NewTopicBackfill (the default) records the start instant first (on
	// Salesforce's clock when the record source implements ServerClock,
	// else this host's; it is stored, so a restart keeps the first one), loads
	// the topic's objects over REST from then on, and then streams from
	// EARLIEST, passing without work the retained events committed before
	// the start instant less StartClockSkew: the backfill, which read after
	// they committed, already delivered their records in a version at
	// least as new. Replaying them would bill a record changed twice
	// within the retention once per change and briefly regress CM to older
	// text. Every change committed after that instant arrives through the
	// stream, so nothing falls between the backfill and the stream; the
	// changes committed within the skew margin before it are both
	// backfilled and streamed, which costs at most their re-upload.
	NewTopicBackfill NewTopicStart = "backfill"
	// NewTopicEarliest streams what the bus retains, without a backfill.
	NewTopicEarliest NewTopicStart = "earliest"
	// NewTopicLatest streams only changes made after the subscription.
	NewTopicLatest NewTopicStart = "latest"
)

// RecoveryPolicy says what a topic does when its stream cannot be resumed:
// the replay ID was refused (expired after the 72 h retention) or the
// checkpoint vanished.
type RecoveryPolicy string

const (
	// RecoverByBackfill (the default) backfills the topic's objects over
	// REST from the last checkpoint's commit time, less an overlap, to now,
	// then streams from EARLIEST.
	RecoverByBackfill RecoveryPolicy = "backfill"
	// RecoverStop stops the daemon with the error, for an operator to act.
	RecoverStop RecoveryPolicy = "stop"
)

// StateRecovering is the status of a topic whose stream could not be
// resumed while its recovery backfill runs.
const StateRecovering = replay.StateRecovering

// DaemonConfig configures a Daemon. Zero values take the documented
// defaults.
type DaemonConfig struct {
	// Org is the Salesforce org ID the state is kept under. Required.
	Org string
	// Holder names this process in the topic leases. Required.
	Holder string
	// Start applies to topics that never had a checkpoint. Zero:
	// NewTopicBackfill.
	Start NewTopicStart
	// Recovery applies when a stream cannot be resumed. Zero:
	// RecoverByBackfill.
	Recovery RecoveryPolicy
	// StartClockSkew is the margin for clock error between the backfill's
	// start instant (Salesforce's clock read from a Date header, to the
	// second, or this host's) and the commit times: the stream passes only
	// the events committed more than this before an initial or recovery
	// backfill began. Larger is safer and re-sends more. Zero: 1 min.
	StartClockSkew time.Duration
	// RecoveryOverlap is how far before the last checkpoint's commit time
	// the recovery backfill starts. Zero: 5 min.
	RecoveryOverlap time.Duration
	// PollingObjects run as REST polling (backfill with Follow) instead of
	// streaming: objects without change events.
	PollingObjects []string
	// Topics, when not nil, are the only topics this daemon streams: the
	// mapping's other topics belong to other instances (sfcdc serve shares
	// an integration's topics out). Nil: every topic of the mapping.
	Topics []string
	// SkipPolling leaves the polling objects to another instance; they are
	// still not streamed here.
	SkipPolling bool
	// RetryInterval is the wait before a standby tries for a lease again,
	// and before a polling backfill that stopped is started again. Zero:
	// the lease TTL of Worker (15 s by default).
	RetryInterval time.Duration
	// StatusInterval is how often the lease holder of a topic writes its
	// status document (also at each state change). Zero: 5 s.
	StatusInterval time.Duration
	// DailyInterval is how often the comments sent since are added to
	// the day's counts in the store (replay.DailyStore: one write for all
	// the daemon's topics, none when nothing was sent; also when the
	// daemon stops). Zero: 5 s.
	DailyInterval time.Duration
	// BudgetRetry is how long a load stopped at the API budget (an
	// initial, recovery, resync or polling load), or a load or the
	// stream's record fetch refused with REQUEST_LIMIT_EXCEEDED, waits
	// before it tries again; the
	// try costs one call, which reads the current usage. The topic shows
	// state paused meanwhile; other topics go on. Never later than the
	// time the budget error says every counted call has left the rolling
	// 24-hour window. Zero: 30 min.
	BudgetRetry time.Duration
	// SummaryInterval is how often each topic's figures (state, events,
	// comments, lag) are logged at info in one line, so a quiet log still
	// shows the daemon works. Zero: 5 min.
	SummaryInterval time.Duration
	// Worker is the template of every topic worker; Org, Topic, Holder and
	// Start are set by the daemon.
	Worker Config
}

// Validate reports every configuration error at once.
func (c DaemonConfig) Validate() error {
	var errs []error
	if c.Org == "" {
		errs = append(errs, errors.New("org: set the Salesforce org ID"))
	}
	if c.Holder == "" {
		errs = append(errs, errors.New("holder: name this process for the topic leases"))
	}
	switch c.Start {
	case "", NewTopicBackfill, NewTopicEarliest, NewTopicLatest:
	default:
		errs = append(errs, fmt.Errorf("start: %s is not backfill, earliest or latest", quote.Value(string(c.Start))))
	}
	switch c.Recovery {
	case "", RecoverByBackfill, RecoverStop:
	default:
		errs = append(errs, fmt.Errorf("recovery: %s is not backfill or stop", quote.Value(string(c.Recovery))))
	}
	if c.RecoveryOverlap < 0 || c.RetryInterval < 0 || c.StatusInterval < 0 || c.DailyInterval < 0 || c.StartClockSkew < 0 || c.BudgetRetry < 0 || c.SummaryInterval < 0 {
		errs = append(errs, errors.New("recovery_overlap, retry_interval, status_interval, daily_interval, start_clock_skew, budget_retry, summary_interval: must not be negative; use 0 for the default"))
	}
	return errors.Join(errs...)
}

func (c DaemonConfig) withDefaults() DaemonConfig {
	if c.Start == "" {
		c.Start = NewTopicBackfill
	}
	if c.Recovery == "" {
		c.Recovery = RecoverByBackfill
	}
	if c.RecoveryOverlap == 0 {
		c.RecoveryOverlap = 5 * time.Minute
	}
	if c.StartClockSkew == 0 {
		c.StartClockSkew = time.Minute
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = 5 * time.Second
	}
	if c.DailyInterval == 0 {
		c.DailyInterval = 5 * time.Second
	}
	if c.SummaryInterval == 0 {
		c.SummaryInterval = 5 * time.Minute
	}
	if c.BudgetRetry == 0 {
		c.BudgetRetry = 30 * time.Minute
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = c.Worker.withDefaults().LeaseTTL
	}
	return c
}
