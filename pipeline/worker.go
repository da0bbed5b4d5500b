package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// RecordSource retrieves full records by ID; *salesforce.Client is one.
// The result is positional: nil where a record does not exist (any more).
type RecordSource interface {
	Retrieve(ctx context.Context, object string, ids, fields []string) ([]salesforce.Record, error)
}

// DeadLetterRetrier retries an org's dead letters as they fall due until
// ctx ends; *deadletter.Retrier is one. Run returns nil when ctx ends and
// an error only when it cannot work at all.
type DeadLetterRetrier interface {
	Run(ctx context.Context) error
}

// Options are a worker's collaborators. All but Logger are required.
type Options struct {
	PubSub  *pubsub.Client
	Records RecordSource
	Mapper  *mapper.Mapper
	Store   replay.Store
	// Upload configures the CM uploader the worker runs.
	Upload uploader.Config
	// Logger receives dead letters and transient failures. Nil: discard.
	Logger *slog.Logger
	// Resync, when set, re-reads an object's records changed since a
	// GAP_OVERFLOW event's commit time (a REST backfill window): the event
	// names no records, so only a resync delivers them. Nil: the event is
	// dead-lettered for an operator to backfill.
	Resync Resync
	// DeadLetters, when set, retries dead letters automatically; the
	// Daemon runs it (a Worker on its own does not).
	DeadLetters DeadLetterRetrier
	// Incidents, when set, learns of the successes that end an outside
	// failure (see Incidents); install its Handler in Logger too. Nil:
	// every retry is logged as its layer logs it.
	Incidents *Incidents
	// Now is the clock of the daily comment counts (which UTC day a sent
	// comment counts in); nil: time.Now. The Daemon keeps those counts, a
	// Worker on its own does not.
	Now func() time.Time
	// Renewer renews the leases held (sfcdc serve shares one across its
	// integrations, so all its leases are renewed in one round trip). Nil:
	// a Daemon makes one for its topics, a lone Worker one for its lease.
	Renewer *replay.Renewer
	// Statuses writes the topics' status documents (sfcdc serve shares one
	// across its integrations, so all its topics' documents go in one
	// round trip). Nil: a Daemon makes one with its StatusInterval.
	Statuses *replay.StatusBatcher
	// StateChanged, when set, is called after any topic's state changes
	// (on the goroutine that changed it; it must not block), so a watcher
	// of the figures reads them when they move instead of polling them.
	StateChanged func()
}

// Worker streams one topic into CM; see the package documentation.
type Worker struct {
	cfg  Config
	opts Options
	log  *slog.Logger
	// held, when set, is the lease the Daemon's supervisor already holds
	// (and renews and releases): Run works under it instead of acquiring
	// its own.
	held *leaseKeeper
	// stats outlives the worker when the Daemon keeps it per topic.
	stats *topicStats
}

// New checks the configuration and returns a Worker; start it with Run.
func New(cfg Config, opts Options) (*Worker, error) {
	errs := []error{cfg.Validate()}
	if opts.PubSub == nil || opts.Records == nil || opts.Mapper == nil || opts.Store == nil {
		errs = append(errs, errors.New("a pipeline worker needs a Pub/Sub client, a record source, a mapper and a store"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configure topic worker: %w", err)
	}
	if err := opts.Upload.Validate(); err != nil {
		return nil, fmt.Errorf("configure topic worker: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg.withDefaults(), opts: opts, log: opts.Logger.With("topic", cfg.Topic),
		stats: newTopicStats(cfg.Topic, nil, opts.Logger, opts.Incidents)}, nil
}

// Run works on the topic until ctx is cancelled (then it drains, flushes
// the checkpoint and returns nil) or something stops it: the lease is held
// by another holder (replay.ErrLeaseHeld) or lost (ErrLeaseLost), the
// checkpoint vanished (*CheckpointVanishedError), CM refused the
// credentials (*uploader.FatalError) or the subscription ended with a
// terminal error.
func (w *Worker) Run(ctx context.Context) error {
	keeper := w.held
	if keeper == nil {
		lease, err := w.opts.Store.AcquireLease(ctx, w.cfg.Org, w.cfg.Topic, w.cfg.Holder, w.cfg.LeaseTTL)
		if err != nil {
			return fmt.Errorf("acquire lease of %s: %w", w.cfg.Topic, err)
		}
		keeper = keepLease(w.opts.Renewer, w.opts.Store, lease, w.log, w.stats.setError, w.opts.Incidents)
		defer keeper.release()
	}
	if err := keeper.Err(); err != nil {
		return err
	}
	start, err := w.startPosition(ctx)
	if err != nil {
		return err
	}
	r, err := w.newRun(keeper)
	if err != nil {
		return err
	}
	// Events committed before this run began are replays. CM may already
	// hold newer versions of their records when a backfill ran before this
	// run (initial load, recovery) or an earlier run streamed the topic
	// (a checkpoint to resume after); then such events are fetched rather
	// than mapped from their payloads (run.replayed). A topic's first run
	// without a backfill is CM's only writer, and keeps the payloads.
	if w.cfg.ResumeAtEarliest || !w.cfg.SkipCommittedBefore.IsZero() || start.Preset == pubsub.Custom {
		r.began = time.Now()
	}
	return r.run(ctx, start)
}

// startPosition reads the checkpoint once the lease is held, so it sees
// the last write of any previous holder.
func (w *Worker) startPosition(ctx context.Context) (pubsub.Start, error) {
	if w.cfg.ResumeAtEarliest {
		return pubsub.Start{Preset: pubsub.Earliest}, nil
	}
	cp, err := w.opts.Store.Checkpoint(ctx, w.cfg.Org, w.cfg.Topic)
	switch {
	case err == nil:
		w.stats.checkpointed(cp, cp.WrittenAt)
		return pubsub.After(cp.ReplayID), nil
	case errors.Is(err, replay.ErrCheckpointVanished):
		return pubsub.Start{}, &CheckpointVanishedError{Org: w.cfg.Org, Topic: w.cfg.Topic}
	case errors.Is(err, replay.ErrNotFound) && w.cfg.Start == StartLatest:
		return pubsub.Start{Preset: pubsub.Latest}, nil
	case errors.Is(err, replay.ErrNotFound):
		return pubsub.Start{Preset: pubsub.Earliest}, nil
	}
	if storeUnreachable(err) {
		err = fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	return pubsub.Start{}, fmt.Errorf("read checkpoint of %s: %w", w.cfg.Topic, err)
}

// run is one Run's state: everything that lives as long as the lease.
type run struct {
	*Worker
	keeper       *leaseKeeper
	lease        replay.Lease
	tracker      *replay.Tracker
	flusher      *replay.Flusher
	upload       *uploader.Uploader[replay.Seq]
	events       *openEvents
	fetches      chan fetchRequest // nil until the first fetch starts the batcher
	fetched      chan struct{}     // closed when the batcher ended (or never started)
	workCtx      context.Context   // the batcher's context
	fetching     pendingFetches    // record IDs queued to the fetch batcher
	fetchStopped atomic.Bool       // a fetch met the API limit or lost the session: fetch nothing more
	stopOnce     sync.Once
	stop         context.CancelFunc // ends intake
	errMu        sync.Mutex
	err          error // the first reason the run stopped, nil for cancellation
	// began is when this run started (this host's clock) if CM may hold
	// newer versions than the events replayed before it carry (see
	// replayed); zero otherwise.
	began time.Time
	// deadLetters stores dead letters off the uploader's callback.
	deadLetters *deadLetterWriter
}

func (w *Worker) newRun(keeper *leaseKeeper) (*run, error) {
	lease := keeper.Lease()
	r := &run{Worker: w, keeper: keeper, lease: lease, tracker: replay.NewTracker(w.cfg.MaxInFlightEvents)}
	checkpoints := fencedCheckpoints{CheckpointStore: w.opts.Store, keeper: keeper, stats: w.stats}
	r.deadLetters = newDeadLetterWriter(w.opts.Store, w.cfg.Org, w.log, r.deadLetterStored, w.stats.setError)
	r.flusher = replay.NewFlusher(checkpoints, r.tracker, lease, replay.FlusherOptions{
		Interval: w.cfg.FlushInterval,
		OnError: func(err error) {
			w.log.Warn("write checkpoint", "err", err)
			w.stats.setError(err)
		},
	})
	up, err := uploader.New(w.opts.Upload, uploader.Options[replay.Seq]{
		Hashes: replay.OrgHashes{Store: w.opts.Store, Org: w.cfg.Org},
		Report: r.onOutcome,
		Logger: w.opts.Logger,
		// The lease's local deadline, checked as each request leaves: a
		// holder woken from a pause past its lease sends nothing more, so
		// no stale version lands after its successor's (the renewer and
		// the guard notice the loss only a moment later).
		MaySend: func() bool { return keeper.held(time.Now()) },
	})
	if err != nil {
		return nil, fmt.Errorf("start topic worker: %w", err)
	}
	r.upload = up
	return r, nil
}

// fail records the first reason to stop and ends intake.
func (r *run) fail(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	r.stopOnce.Do(func() {
		if r.stop != nil {
			r.stop()
		}
	})
}

func (r *run) firstErr() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}
