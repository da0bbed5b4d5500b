package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// EngineRunner runs an integration's units with the engine, each
// integration's state in its own scope of the shared store.
type EngineRunner struct {
	// Store is the deployment's store, shared by every integration.
	Store replay.Store
	// Instance names this instance in the topic leases.
	Instance string
	// Logger; each integration logs with an "integration" attribute.
	Logger *slog.Logger
	// Pools shares Pub/Sub connections between the integrations; nil: a
	// connection per integration.
	Pools *Pools
	// Renewer renews every lease the integrations run here hold, in one
	// round trip per tick; nil: each integration renews its own.
	Renewer *replay.Renewer
	// Statuses writes every topic's status document run here, in one
	// round trip per round; nil: each integration writes its own.
	Statuses *replay.StatusBatcher
	// Tuning is handed to every engine.
	Tuning engine.Tuning
	// StateEvery is how often the run's state is also read from the
	// engine's figures until every topic first streams, besides at each
	// topic's state change (engine.Deps.StateChanged). Zero: 1 s.
	StateEvery time.Duration
	// Figures, when set, holds each running integration's figures for
	// /metrics.
	Figures *Figures
	// Grants, when set, holds the grants of the integrations that sign in
	// with the hosted web-server flow (salesforce.auth.flow: web_server):
	// their sessions come from it (package custody), shared by every
	// instance. Nil: such integrations use their own token store.
	Grants *custody.Vault
	// PublicURL is where the authenticate links live, for the reason
	// shown while an integration waits for its authorisation.
	PublicURL string
	// Now is the clock of the daily comment counts the console shows as
	// today's (engine.Deps.Now). Nil: time.Now.
	Now func() time.Time
}

// Run implements Runner.
func (r EngineRunner) Run(ctx context.Context, in registry.Integration, units []Unit, report func(State)) error {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("integration", in.Name())
	spec := in.Spec
	spec.Run.Holder = r.Instance
	part := &engine.Units{Topics: []string{}}
	for _, u := range units {
		if u.Part == PollingPart {
			part.Polling = true
		} else {
			part.Topics = append(part.Topics, u.Part)
		}
	}
	ready := func(rd engine.Ready) error {
		if len(rd.Topics) == 0 { // the polling part alone: nothing to load first
			report(State{Name: StateStreaming})
		}
		return nil
	}
	watch := r.newStateWatch(report)
	deps := engine.Deps{Store: replay.NewScoped(r.Store, in.Name()), Logger: log, Units: part, Tuning: r.Tuning, Ready: ready, Now: r.Now,
		Renewer: r.Renewer, Statuses: r.Statuses, StateChanged: watch.poke}
	if r.Pools != nil {
		deps.PubSubPools = r.Pools.For
	}
	if r.Grants != nil && spec.Salesforce.Auth.Flow == string(salesforce.FlowWebServer) {
		src, err := r.hostedSessions(ctx, in.Name(), spec, log)
		if err != nil {
			return err
		}
		defer src.Refresher.Close()
		deps.Credentials = src
		if part.Polling {
			// One instance per integration holds its polling part: it keeps
			// the grant refreshed at least twice a day even when idle.
			freshCtx, stopFresh := context.WithCancel(ctx)
			freshDone := make(chan struct{})
			go func() { defer close(freshDone); _ = src.KeepFresh(freshCtx, 0) }()
			defer func() { stopFresh(); <-freshDone }()
		}
	}
	eng, err := engine.New(spec, deps)
	if err != nil {
		return err
	}
	defer eng.Close()
	defer r.Figures.watch(in.Name(), eng)()
	report(State{Name: StateStarting})
	defer watch.start(eng.Snapshot)()
	err = eng.Run(ctx)
	if errors.Is(err, custody.ErrNeedsReauth) {
		return &WaitingError{State: StateNeedsReauth, Reason: redact.Text(err.Error()) + "; authorise it again at " + r.authenticateURL(in.Name()),
			Link: r.authenticateURL(in.Name())}
	}
	if errors.Is(err, uploader.ErrQuotaReached) {
		// The scheduler disables for the quota, not a sync error.
		return fmt.Errorf("%w: %w", ErrQuota, err)
	}
	return err
}

// stateWatch reports backfilling while any topic here loads over REST,
// and streaming once every topic streams (or stands by). It reads the
// engine's figures when a topic's state changes (poke, which the engine
// calls) and, until the run first streams, also every StateEvery as a
// safety net while it starts; a streaming run is read only when a topic's
// state moves. It holds no goroutine while it waits (a time.AfterFunc
// timer), so a thousand idle integrations on one instance wake for nothing
// (reading every 15 s was 67 wake-ups a second).
type stateWatch struct {
	every  time.Duration
	report func(State)

	mu       sync.Mutex
	snapshot func() []figures.Topic // nil until start
	timer    *time.Timer
	stopped  bool
	last     string
}

func (r EngineRunner) newStateWatch(report func(State)) *stateWatch {
	every := r.StateEvery
	if every <= 0 {
		every = time.Second
	}
	return &stateWatch{every: every, report: report}
}

// poke asks for a read now; before start and after stop it does nothing.
func (w *stateWatch) poke() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil && !w.stopped {
		w.timer.Reset(0)
	}
}

// start reads snapshot's states from now on; when the returned stop
// returns no read runs and none will.
func (w *stateWatch) start(snapshot func() []figures.Topic) (stop func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.snapshot = snapshot
	w.timer = time.AfterFunc(w.every, w.read)
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.stopped = true
		w.timer.Stop()
	}
}

func (w *stateWatch) read() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	name := stateOf(w.snapshot())
	if name != "" && name != w.last {
		w.report(State{Name: name})
		w.last = name
	}
	if w.last != StateStreaming {
		w.timer.Reset(w.every)
	}
}

// stateOf sums up the topics' states; "" while nothing has started.
func stateOf(topics []figures.Topic) string {
	if len(topics) == 0 {
		return ""
	}
	for _, t := range topics {
		switch t.State {
		case figures.StateBackfilling, figures.StateRecovering:
			return StateBackfilling
		case figures.StateStarting, "":
			return ""
		}
	}
	return StateStreaming
}

// hostedSessions is the session source of an integration authorised
// through the hosted pages, or a *WaitingError while it has no usable
// grant.
func (r EngineRunner) hostedSessions(ctx context.Context, name string, spec integration.Spec, log *slog.Logger) (*custody.Source, error) {
	g, err := r.Grants.Load(ctx, name)
	if errors.Is(err, custody.ErrNoGrant) {
		return nil, &WaitingError{State: StatePendingAuth, Reason: "not authorised yet: open " + r.authenticateURL(name), Link: r.authenticateURL(name)}
	}
	if err != nil {
		return nil, err
	}
	if g.NeedsReauth != "" {
		return nil, &WaitingError{State: StateNeedsReauth, Reason: g.NeedsReauth + "; open " + r.authenticateURL(name), Link: r.authenticateURL(name)}
	}
	ref, err := salesforce.NewRefresher(spec.Salesforce.Auth.SalesforceConfig(spec.Salesforce.CAFile, log))
	if err != nil {
		return nil, err
	}
	return &custody.Source{Name: name, Vault: r.Grants, Locks: r.Store, Refresher: ref, Holder: r.Instance, Logger: log}, nil
}

// authenticateURL is an integration's authenticate link.
func (r EngineRunner) authenticateURL(name string) string {
	base := strings.TrimRight(r.PublicURL, "/")
	if base == "" {
		base = "<public_url>"
	}
	return base + "/integrations/" + name + "/oauth2/authenticate"
}
