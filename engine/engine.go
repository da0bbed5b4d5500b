package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Deps is what the process owns and lends the engine: the engine uses
// them and never closes them.
type Deps struct {
	// Store holds the integration's durable state. Required.
	Store replay.Store
	// Logger receives every layer's logs. Nil: discarded.
	Logger *slog.Logger
	// Incidents tracks the outages of outside systems across the layers
	// (its handler should be under Logger). Nil: none.
	Incidents *pipeline.Incidents
	// PubSub is a Pub/Sub client to share (its credentials must be this
	// integration's). Nil: the engine builds its own from the spec and
	// closes it in Close.
	PubSub *pubsub.Client
	// PubSubPools, when set, gives the shared connection pool for a
	// Pub/Sub configuration's endpoint (sfcdc serve: every integration's
	// streams on a few connections); the client the engine builds on it
	// carries this integration's session with each call. Nil: a connection
	// of its own.
	PubSubPools func(pubsub.Config) (*pubsub.Pool, error)
	// Credentials replace the session source the spec describes (a test or
	// a simulator minting its own tokens). Nil: built from the salesforce
	// section.
	Credentials salesforce.SessionSource
	// Ready, when set, is called once per Run after the session, the
	// daemon and its topics exist and before anything streams, e.g. to
	// start serving the engine's figures; an error stops Run before it
	// streams.
	Ready func(Ready) error
	// Tuning holds the worker knobs the configuration file does not offer.
	Tuning Tuning
	// Hooks are the seams the crash tests' failpoints use.
	Hooks Hooks
	// ConfigFile names where the spec came from in the hints of dead
	// letters an operator fixes there. Zero: "the configuration file".
	ConfigFile string
	// Renewer, when set, renews this integration's leases along with every
	// other lease it holds (sfcdc serve: one per instance, so all its
	// integrations' leases are renewed in one round trip). Nil: one per
	// Run, shared by the integration's topics and dead-letter retrier.
	Renewer *replay.Renewer
	// Units, when set, limits Run to part of the integration: sfcdc serve
	// shares an integration's units out between instances. Nil: the whole
	// integration.
	Units *Units
	// Now is the clock that says which UTC day a sent comment counts in
	// (the store's daily counts, replay.DailyStore). Nil: time.Now.
	Now func() time.Time
	// Statuses, when set, writes the topics' status documents along with
	// every other integration's sharing it (sfcdc serve: one round trip
	// for all), every Statuses.Interval; Tuning.StatusInterval then has
	// no effect. Nil: the daemon writes its own.
	Statuses *replay.StatusBatcher
	// StateChanged, when set, is called after any topic's state changes
	// (it must not block): sfcdc serve reads the figures then, instead of
	// polling a thousand integrations' figures.
	StateChanged func()
}

// Units is the part of an integration one Run streams: its topics, and
// with Polling its polling objects and the dead-letter retrier.
type Units struct {
	Topics  []string
	Polling bool
}

// Tuning is the knobs a program embedding the engine may set beyond the
// spec. Zero values take the pipeline's defaults.
type Tuning struct {
	// FetchLinger is how long a record waiting for a REST fetch waits for
	// others to share its request (pipeline.Config.FetchLinger).
	FetchLinger time.Duration
	// StatusInterval is how often each topic's status document is
	// rewritten besides at its state changes (pipeline.DaemonConfig's;
	// zero: 5 s).
	StatusInterval time.Duration
	// DailyInterval is how long the comments counted for the day wait
	// before they are added to the store (pipeline.DaemonConfig's; zero:
	// 5 s).
	DailyInterval time.Duration
	// MaxInFlightEvents caps the events a topic tracks but has not done
	// (pipeline.Config.MaxInFlightEvents), and those its subscription has
	// received but not released (pubsub.Config.MaxInFlightEvents).
	MaxInFlightEvents int
	// MaxInFlightBytes caps the payload bytes a topic's subscription has
	// received but not released (pubsub.Config.MaxInFlightBytes; zero:
	// its default, 64 MiB).
	MaxInFlightBytes int
}

// Hooks wrap what the engine builds. Nil hooks change nothing.
type Hooks struct {
	// BackfillStore wraps the store every backfill writes through.
	BackfillStore func(backfill.Store) backfill.Store
	// RESTCredentials wraps the credentials of the REST client, which asks
	// them for the session before every call.
	RESTCredentials func(salesforce.SessionSource) salesforce.SessionSource
}

// Ready is what a Run is about to stream.
type Ready struct {
	// Org is the Salesforce org ID the state is kept under.
	Org string
	// Holder names this process in the topic leases.
	Holder string
	// Topics maps each streamed topic to its objects.
	Topics map[string][]string
	// PollingObjects are read by REST polling instead of streamed.
	PollingObjects []string
}

// Engine runs one integration. Build it with New, run it with Run (once),
// release it with Close after Run returned.
type Engine struct {
	spec  integration.Spec
	deps  Deps
	log   *slog.Logger
	creds salesforce.SessionSource
	sf    *salesforce.Client
	m     *mapper.Mapper

	mu     sync.Mutex
	org    string         // once Connect succeeded
	ps     *pubsub.Client // built by Run unless shared
	ownsPS bool

	daemon atomic.Pointer[pipeline.Daemon] // once Run built it
}

// New checks spec and builds what it needs without asking any service:
// the session source, the REST client and the mapping. A spec that does
// not validate, or a client it cannot build, is ErrInvalid.
func New(spec integration.Spec, deps Deps) (*Engine, error) {
	if deps.Store == nil {
		return nil, errors.New("build the engine: Deps.Store is required")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	creds := deps.Credentials
	if creds == nil {
		creds = Credentials(spec.Salesforce, log)
	}
	restCreds := creds
	if deps.Hooks.RESTCredentials != nil {
		restCreds = deps.Hooks.RESTCredentials(creds)
	}
	sf, err := salesforce.NewClient(spec.Salesforce.RESTConfig(log), restCreds)
	if err != nil {
		return nil, integration.Invalid(err)
	}
	m, err := mapper.New(mapper.Config{Objects: spec.Objects})
	if err != nil {
		sf.Close()
		return nil, integration.Invalid(err)
	}
	return &Engine{spec: spec, deps: deps, log: log, creds: creds, sf: sf, m: m}, nil
}

// Close releases the clients the engine built (not Deps).
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ps != nil && e.ownsPS {
		_ = e.ps.Close()
	}
	e.ps = nil
	e.sf.Close()
}

// Salesforce is the engine's REST client.
func (e *Engine) Salesforce() *salesforce.Client { return e.sf }

// Mapper is the integration's mapping.
func (e *Engine) Mapper() *mapper.Mapper { return e.m }

// Connect obtains a session (once) and returns its org ID, under which
// the state is kept; the org ID is also remembered in the store for the
// tools that read only the store (StoredOrg).
func (e *Engine) Connect(ctx context.Context) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.org != "" {
		return e.org, nil
	}
	sess, err := e.creds.Current(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to Salesforce: %w", err)
	}
	RememberOrg(ctx, e.deps.Store, sess.TenantID, e.log)
	e.org = sess.TenantID
	return e.org, nil
}

// Backfill connects and builds the integration's backfill (sfcdc
// backfill, a dead letter's window); progress, when set, hears of each
// page.
func (e *Engine) Backfill(ctx context.Context, progress func(backfill.Progress)) (*backfill.Backfill, error) {
	org, err := e.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return e.newBackfill(org, progress)
}

// newBackfill builds the backfill of the spec for org.
func (e *Engine) newBackfill(org string, progress func(backfill.Progress)) (*backfill.Backfill, error) {
	var store backfill.Store = e.deps.Store
	if e.deps.Hooks.BackfillStore != nil {
		store = e.deps.Hooks.BackfillStore(store)
	}
	b, err := backfill.New(e.spec.Backfill, backfill.Options{
		Salesforce: e.sf, Mapper: e.m, Store: store, Org: org, Upload: e.spec.CommsMining,
		Progress: progress, Logger: e.log,
	})
	if err != nil {
		return nil, integration.Invalid(err)
	}
	return b, nil
}

// ErrGraceExceeded: after ctx ended, the run did not drain within its grace.
var ErrGraceExceeded = errors.New("shutdown did not finish within run.shutdown_grace")

// RunWithin is Run, with the drain after ctx ends bounded by grace (the
// spec's Run.Grace for `sfcdc run`). Past the grace it returns
// ErrGraceExceeded rather than hang: the process exits, and whatever did
// not drain is not checkpointed, so the next start receives it again.
// The run goes on draining on its own goroutine: the caller exits.
func (e *Engine) RunWithin(ctx context.Context, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("%w %s: undrained work is received again on the next start", ErrGraceExceeded, grace)
	}
}

// Run streams the integration until ctx ends: it connects, finds the
// objects to poll (run.polling_objects, plus with run.detect_polling the
// objects Salesforce has no change event for), builds the daemon (one
// supervisor per topic, the polling backfill) and runs it. Cancelling ctx
// stops intake; uploads in flight and the last checkpoints drain before
// Run returns (a caller bounds that with run.shutdown_grace: Spec's
// Run.Grace). A fatal error of any topic stops the others and is returned.
func (e *Engine) Run(ctx context.Context) error {
	org, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	holder := e.spec.Run.Holder
	if holder == "" {
		holder = DefaultHolder()
	}
	cfg := DaemonConfig(e.spec.Run, org, holder)
	cfg.Worker.FetchLinger = e.deps.Tuning.FetchLinger
	cfg.Worker.MaxInFlightEvents = e.deps.Tuning.MaxInFlightEvents
	cfg.StatusInterval = e.deps.Tuning.StatusInterval
	cfg.DailyInterval = e.deps.Tuning.DailyInterval
	if cfg.PollingObjects, err = e.pollingObjects(ctx); err != nil {
		return err
	}
	if u := e.deps.Units; u != nil {
		cfg.Topics = append([]string{}, u.Topics...)
		cfg.SkipPolling = !u.Polling
	}
	daemon, err := e.newDaemon(cfg)
	if err != nil {
		return err
	}
	e.daemon.Store(daemon)
	if e.deps.Ready != nil {
		err := e.deps.Ready(Ready{Org: org, Holder: holder, Topics: daemon.Topics(), PollingObjects: pollingHere(cfg)})
		if err != nil {
			return err
		}
	}
	return daemon.Run(ctx)
}

// pollingObjects is run.polling_objects plus, with run.detect_polling,
// the other objects Salesforce has no change event for.
func (e *Engine) pollingObjects(ctx context.Context) ([]string, error) {
	polling := slices.Clone(e.spec.Run.PollingObjects)
	if !e.spec.Run.DetectsPolling() {
		return polling, nil
	}
	var ask []mapper.ObjectMapping
	for _, om := range e.spec.Objects {
		if !slices.Contains(polling, om.Object) {
			ask = append(ask, om)
		}
	}
	found, err := pipeline.ObjectsWithoutChangeEvents(ctx, e.sf, ask)
	if err != nil {
		return nil, err
	}
	return append(polling, found...), nil
}

// newDaemon builds the Pub/Sub client (unless shared), the backfill and
// the daemon.
func (e *Engine) newDaemon(cfg pipeline.DaemonConfig) (*pipeline.Daemon, error) {
	ps, err := e.pubSub()
	if err != nil {
		return nil, err
	}
	fill, err := e.newBackfill(cfg.Org, nil)
	if err != nil {
		return nil, err
	}
	renewer := e.deps.Renewer
	if renewer == nil {
		renewer = &replay.Renewer{} // the topics' and the retrier's leases in one round trip
	}
	opts := pipeline.Options{PubSub: ps, Records: e.sf, Mapper: e.m, Store: e.deps.Store, Upload: e.spec.CommsMining, Logger: e.log,
		Incidents: e.deps.Incidents, Now: e.deps.Now, Renewer: renewer, Statuses: e.deps.Statuses, StateChanged: e.deps.StateChanged}
	if e.spec.Run.DeadLetters.On() && (e.deps.Units == nil || e.deps.Units.Polling) {
		// The daemon owns the retrier's goroutine and waits for it.
		r, err := e.deadLetterRetrier(cfg.Org, cfg.Holder, renewer)
		if err != nil {
			return nil, err
		}
		opts.DeadLetters = r
	}
	daemon, err := pipeline.NewDaemon(cfg, opts, fill)
	if err != nil {
		return nil, integration.Invalid(err)
	}
	return daemon, nil
}

// DeadLetterRetrier builds the retrier of the org's dead letters with the
// spec's run.dead_letters policy: the daemon runs it (Run), and `sfcdc
// deadletters retry` calls its Retry at once. holder names this process
// in the retrier's lease ("" when only Retry is used).
func (e *Engine) DeadLetterRetrier(org, holder string) (*deadletter.Retrier, error) {
	return e.deadLetterRetrier(org, holder, e.deps.Renewer)
}

func (e *Engine) deadLetterRetrier(org, holder string, renewer *replay.Renewer) (*deadletter.Retrier, error) {
	fill, err := e.newBackfill(org, nil)
	if err != nil {
		return nil, err
	}
	r, err := deadletter.New(deadletter.Config{Org: org, Holder: holder, Policy: e.spec.Run.DeadLetters.Policy(), ConfigFile: e.deps.ConfigFile},
		deadletter.Options{Store: e.deps.Store, Records: e.sf, Mapper: e.m, Upload: e.spec.CommsMining, Backfill: fill, Logger: e.log,
			Renewer: renewer})
	if err != nil {
		return nil, integration.Invalid(err)
	}
	return r, nil
}

// pubSub is the shared Pub/Sub client, or the engine's own, built once.
func (e *Engine) pubSub() (*pubsub.Client, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ps != nil {
		return e.ps, nil
	}
	if e.deps.PubSub != nil {
		e.ps = e.deps.PubSub
		return e.ps, nil
	}
	cfg := PubSubConfig(e.spec.Salesforce)
	cfg.Logger = e.log
	cfg.MaxInFlightEvents, cfg.MaxInFlightBytes = e.deps.Tuning.MaxInFlightEvents, e.deps.Tuning.MaxInFlightBytes
	newClient := pubsub.NewClient
	if e.deps.PubSubPools != nil {
		pool, err := e.deps.PubSubPools(cfg)
		if err != nil {
			return nil, err
		}
		newClient = pool.NewClient
	}
	ps, err := newClient(cfg, e.creds)
	if err != nil {
		return nil, integration.Invalid(err)
	}
	e.ps, e.ownsPS = ps, true
	return ps, nil
}

// pollingHere are the polling objects this Run polls.
func pollingHere(cfg pipeline.DaemonConfig) []string {
	if cfg.SkipPolling {
		return nil
	}
	return slices.Clone(cfg.PollingObjects)
}
