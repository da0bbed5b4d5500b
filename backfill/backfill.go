package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// Store is the durable state the backfill needs: the watermarks, the
// content hashes it shares with the stream, and dead letters.
// replay.Store satisfies it.
type Store interface {
	replay.WatermarkStore
	replay.HashStore
	replay.DeadLetterStore
}

// Options are the backfill's collaborators. Salesforce, Mapper, Store and
// Org are required; the rest are optional.
type Options struct {
	// Salesforce runs the queries; its Usage feeds the API budget.
	Salesforce *salesforce.Client
	// Mapper maps records of the configured objects.
	Mapper *mapper.Mapper
	// Store keeps watermarks, content hashes and dead letters.
	Store Store
	// Org is the Salesforce org ID the state is kept under.
	Org string
	// Upload configures the CM client of Run (Estimate sends nothing). Its
	// MaxConcurrentRequests is replaced by Config.UploadConcurrency.
	Upload uploader.Config
	// UploadHTTPClient sends the CM requests. Nil: the uploader's own.
	UploadHTTPClient *http.Client
	// Progress receives a report after every page and when an object is
	// caught up, on the goroutine that called Run or Estimate. Nil: none.
	Progress func(Progress)
	// Logger receives retries and stops, never a secret. Nil: discard.
	Logger *slog.Logger
	// Now is the clock of budget messages and summaries. Nil: time.Now.
	Now func() time.Time
	// Sleep waits between retries and polls. Nil: a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Request says what one Run or Estimate covers.
type Request struct {
	// Objects to read, in this order. Empty: every object of the mapping.
	Objects []string
	// Since starts reading at this SystemModstamp when the object's
	// watermark is earlier (or absent). Zero: at the watermark.
	Since time.Time
	// Until, when set, makes the run a window [Since, Until]: rows stamped
	// later are not read, and progress is kept under a watermark of its own
	// (WindowName), leaving the object's incremental watermark alone.
	Until time.Time
	// UpTo bounds what is read without making a window: rows stamped
	// after it are left for later (the stream that takes over, the next
	// poll or the next run), and progress is kept under the object's
	// incremental watermark. Zero: each catch-up (each poll in follow
	// mode) reads up to the instant it began, on Salesforce's clock. A
	// load therefore ends however busy the org is: it never chases the
	// changes made while it reads.
	UpTo time.Time
	// Follow keeps polling every Config.PollInterval after catching up,
	// until the context ends (Run only; not with Until or UpTo).
	Follow bool
}

// Check refuses settings that contradict each other (dryRun: the request
// is for Estimate), naming the `sfcdc backfill` flags; it matches
// ErrRequest.
func (r Request) Check(dryRun bool) error {
	switch {
	case r.Follow && dryRun:
		return fmt.Errorf("%w: --follow and --dry-run exclude each other: a dry run reads once", ErrRequest)
	case r.Follow && !r.Until.IsZero():
		return fmt.Errorf("%w: --follow and --until exclude each other: following has no end", ErrRequest)
	case r.Follow && !r.UpTo.IsZero():
		return fmt.Errorf("%w: follow and an upper bound exclude each other: following has no end", ErrRequest)
	case !r.Until.IsZero() && r.Until.Before(r.Since):
		return fmt.Errorf("%w: --until %s is before --since %s", ErrRequest, r.Until.Format(time.RFC3339Nano), r.Since.Format(time.RFC3339Nano))
	}
	return nil
}

// Backfill reads records by SystemModstamp and delivers their comments.
type Backfill struct {
	cfg   Config
	opts  Options
	log   *slog.Logger
	retry retrier
}

// job is one Run or Estimate: the backfill and the reader whose API
// budget counts from the job's start.
type job struct {
	*Backfill
	rd *reader
}

// New checks cfg and opts.
func New(cfg Config, opts Options) (*Backfill, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure backfill: %w", err)
	}
	switch {
	case opts.Salesforce == nil, opts.Mapper == nil, opts.Store == nil:
		return nil, errors.New("configure backfill: Salesforce, Mapper and Store are required")
	case opts.Org == "":
		return nil, errors.New("configure backfill: the org ID is required")
	}
	cfg = cfg.withDefaults()
	opts = opts.withDefaults()
	return &Backfill{cfg: cfg, opts: opts, log: opts.Logger, retry: retrier{sleep: opts.Sleep, log: opts.Logger}}, nil
}

// newJob starts one Run or Estimate: its API budget counts from now.
func (b *Backfill) newJob() *job {
	return &job{Backfill: b, rd: &reader{
		sf: b.opts.Salesforce, pageSize: b.cfg.PageSize, retry: b.retry,
		budget: budget{percent: b.cfg.APIBudgetPercent, usage: b.opts.Salesforce.Usage, now: b.opts.Now,
			reportsBefore: b.opts.Salesforce.Usage().Reports},
	}}
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.SleepTimer
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
	return o
}

// objects resolves req.Objects against the mapping.
func (b *Backfill) objects(req Request) ([]mapper.ObjectMapping, error) {
	all := b.opts.Mapper.Objects()
	if len(req.Objects) == 0 {
		return all, nil
	}
	var out []mapper.ObjectMapping
	for _, name := range req.Objects {
		i := slices.IndexFunc(all, func(om mapper.ObjectMapping) bool { return om.Object == name })
		if i < 0 {
			return nil, fmt.Errorf("backfill %s: %w (configured: %s)", name, ErrUnknownObject, objectNames(all))
		}
		out = append(out, all[i])
	}
	return out, nil
}

func objectNames(oms []mapper.ObjectMapping) string {
	names := make([]string, len(oms))
	for i, om := range oms {
		names[i] = om.Object
	}
	return strings.Join(names, ", ")
}

// checkRequest refuses contradictory requests.
func checkRequest(req Request) error {
	switch {
	case !req.Until.IsZero() && !req.Since.IsZero() && req.Until.Before(req.Since):
		return fmt.Errorf("backfill: until %s is before since %s", soqlTime(req.Until), soqlTime(req.Since))
	case req.Follow && (!req.Until.IsZero() || !req.UpTo.IsZero()):
		return errors.New("backfill: follow polls for new changes and cannot have an until bound")
	case !req.UpTo.IsZero() && !req.Since.IsZero() && req.UpTo.Before(req.Since):
		return fmt.Errorf("backfill: up-to bound %s is before since %s", soqlTime(req.UpTo), soqlTime(req.Since))
	}
	return nil
}

// WindowName is the watermark name of a window run of object: its
// progress is kept apart from the object's incremental watermark.
func WindowName(object string, since, until time.Time) string {
	from := "beginning"
	if !since.IsZero() {
		from = soqlTime(since)
	}
	return object + " window " + from + ".." + soqlTime(until)
}
