package deadletter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// LeaseName is the store lease (in the topic leases' namespace, where no
// Pub/Sub topic can have this name) the automatic retrier holds per org.
const LeaseName = "sfcdc:dead-letter-retrier"

// RecordSource retrieves full records by ID; *salesforce.Client is one.
// The result is positional: nil where a record does not exist (any more).
type RecordSource interface {
	Retrieve(ctx context.Context, object string, ids, fields []string) ([]salesforce.Record, error)
}

// Config configures a Retrier. Zero values take the documented defaults.
type Config struct {
	// Org is the Salesforce org ID the dead letters are kept under.
	// Required.
	Org string
	// Holder names this process in the retrier's lease; required by Run.
	Holder string
	// Policy is when dead letters are retried and parked.
	Policy Policy
	// LeaseTTL is the retrier lease's time to live; a standby tries for
	// it again after this long. Zero: 30 s.
	LeaseTTL time.Duration
	// ScanInterval is the longest the automatic retrier waits before it
	// looks for due dead letters again (new ones are written all the
	// time; the earliest known due time is waited for when sooner).
	// Zero: 1 min.
	ScanInterval time.Duration
	// BatchSize caps the dead letters one automatic pass retries, oldest
	// due first; the rest wait for the next pass. Zero: 500.
	BatchSize int
	// ConfigFile names the configuration file in the hints of failures an
	// operator fixes there ("add it to objects: in …"). Zero: "the
	// configuration file".
	ConfigFile string
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if c.Org == "" {
		errs = append(errs, errors.New("org: set the Salesforce org ID"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.LeaseTTL < 0 || c.ScanInterval < 0 || c.BatchSize < 0 {
		errs = append(errs, errors.New("lease_ttl, scan_interval, batch_size: must not be negative; use 0 for the default"))
	}
	if c.Holder != "" {
		if err := replay.CheckName(c.Holder); err != nil {
			errs = append(errs, fmt.Errorf("holder: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	c.Policy = c.Policy.WithDefaults()
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.ScanInterval == 0 {
		c.ScanInterval = time.Minute
	}
	if c.BatchSize == 0 {
		c.BatchSize = 500
	}
	if c.ConfigFile == "" {
		c.ConfigFile = "the configuration file"
	}
	return c
}

// Options are a Retrier's collaborators. Store, Records, Mapper and
// Backfill are required.
type Options struct {
	Store   replay.Store
	Records RecordSource
	Mapper  *mapper.Mapper
	// Upload configures the uploader each retry of record dead letters
	// runs, like the pipeline's.
	Upload uploader.Config
	// Backfill reads the REST windows of event dead letters.
	Backfill *backfill.Backfill
	// Clock tells the time of due dates and waits; nil: the wall clock.
	Clock Clock
	// Logger receives what the automatic retrier does. Nil: discard.
	Logger *slog.Logger
	// Renewer renews the retrier's lease along with the process's other
	// leases (the daemon passes its topics'). Nil: one of its own.
	Renewer *replay.Renewer
}

// Retrier retries dead letters: on demand (Retry) and, run by the daemon,
// automatically (Run).
type Retrier struct {
	cfg  Config
	opts Options
	log  *slog.Logger
}

// New checks the configuration and returns a Retrier.
func New(cfg Config, opts Options) (*Retrier, error) {
	errs := []error{cfg.Validate()}
	if opts.Store == nil || opts.Records == nil || opts.Mapper == nil || opts.Backfill == nil {
		errs = append(errs, errors.New("a dead-letter retrier needs a store, a record source, a mapper and a backfill"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configure dead-letter retrier: %w", err)
	}
	if err := opts.Upload.Validate(); err != nil {
		return nil, fmt.Errorf("configure dead-letter retrier: %w", err)
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Retrier{cfg: cfg.withDefaults(), opts: opts, log: opts.Logger.With("component", "dead-letter retrier")}, nil
}

// Policy is the policy in effect, defaults applied.
func (r *Retrier) Policy() Policy { return r.cfg.Policy }
