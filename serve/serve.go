package serve

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/onboard"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
)

// Deps is what the process lends Serve.
type Deps struct {
	// Store is the deployment's store (Redis for several instances).
	Store replay.Store
	// Keys open the registry's sealed secrets.
	Keys *sealed.Keyring
	// Logger; nil discards.
	Logger *slog.Logger
	// Started, when set, is called once this instance has joined, with
	// its scheduler (for the monitoring endpoints and tests).
	Started func(*Scheduler)
	// Listening, when set, is called with the monitoring server's address
	// once it listens (Settings.Listen may ask for port 0).
	Listening func(addr string)
	// Now is the clock of the integrations' daily comment counts, which
	// the console shows as "today" (a UTC day). Nil: time.Now; tests move
	// it across midnight.
	Now func() time.Time
	// DailyInterval is how long the comments an integration counted for
	// the day wait before they are added to the store (what the console
	// shows as today's). Zero: 5 s.
	DailyInterval time.Duration
}

// StatusInterval is how often each topic served here rewrites its status
// document besides at its state changes (all of them in one round trip,
// replay.StatusBatcher): every 5 s (sfcdc run's), one transaction per
// topic, was a third of an instance's idle CPU at 3,000 topics, while the
// status is read only by `sfcdc status` (flagged stale after 2 min) and
// the instance's own figures come from memory.
const StatusInterval = 30 * time.Second

// StatusLinger is how long a topic's changed status waits for other
// topics' to share a round trip: thousands of topics starting or moving
// at once (an instance joining, another leaving) write in a few round
// trips, and `sfcdc status` shows a change a tenth of a second later.
const StatusLinger = 100 * time.Millisecond

// MaxInFlightEvents is the events each topic served here may hold between
// receiving and finishing (sfcdc run's is 1,000): the Pub/Sub buffer and
// the tracker are sized by it, 53 KB per topic at 1,000. 250 is eight
// times what a topic at 500 events/s with 60 ms to CM holds.
const MaxInFlightEvents = 250

// MaxInFlightBytes is the payload bytes each topic served here may have
// received and not released (the Pub/Sub client's default, 64 MiB, is
// for one process per org): 20 busy integrations held about 320 MB of
// received payloads without it, for no throughput — the tracker's 250
// events are the window either way.
const MaxInFlightBytes = 1 << 20

// Serve joins the deployment and runs this instance's share of the
// registry's integrations until ctx ends; then it stops every integration
// (each drains and releases its leases), leaves the live set and returns.
func Serve(ctx context.Context, s Settings, deps Deps) error {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	instance := s.InstanceName()
	reg := registry.New(deps.Store, deps.Keys)
	figs := &Figures{}
	var running atomic.Pointer[Scheduler]
	// Listening first: a configured address that is busy fails before this
	// instance takes any unit. The server outlives the integrations, so
	// /healthz answers while they drain.
	grants := custody.NewVault(deps.Store, deps.Keys)
	var pages http.Handler
	if s.PublicURL != "" {
		pages = onboard.Handler(onboard.Config{PublicURL: s.PublicURL, Registry: reg, Vault: grants, States: deps.Store, Keys: deps.Keys,
			Logger: log, Authorised: func(context.Context, string) {
				if sc := running.Load(); sc != nil {
					sc.Authorised()
				}
			}})
	}
	pages, consoleOn := pagesHandler(pages, s, consoleSource{reg: reg, store: deps.Store, publicURL: s.PublicURL, now: deps.Now})
	notifier, err := notify.New(notify.Config{URL: s.WebhookURL, Secret: s.WebhookSecret, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notifyDone := make(chan struct{})
	go func() { defer close(notifyDone); notifier.Run(notifyCtx) }()
	defer func() { stopNotify(); <-notifyDone }()
	mon, err := startMonitor(s, reg, deps.Store, figs, &running, pages, []prometheus.Collector{notifier.Collector()}, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer mon.Shutdown(log)
	if mon != nil {
		log.Info("serving /metrics, /healthz and /readyz", "listen", mon.Addr())
		if s.PublicURL != "" {
			log.Info("serving the onboarding pages; register this callback URL in each connected app",
				"callback", strings.TrimRight(s.PublicURL, "/")+onboard.CallbackPath)
		}
		if consoleOn {
			log.Info("serving the operator console at / (and JSON under /api/v1/integrations)", "token_required", s.AdminToken != "")
		} else {
			log.Info("no operator console: the listener is not loopback-only and no admin_token is set")
		}
		if deps.Listening != nil {
			deps.Listening(mon.Addr())
		}
	}
	m, err := membership.Join(ctx, membership.Config{Instance: instance, TTL: s.ttl(), Store: deps.Store, Logger: log})
	if err != nil {
		return err
	}
	pools := &Pools{}
	defer pools.Close()
	sched, err := New(Config{
		Registry: reg, Members: m, Reports: deps.Store, Logger: log,
		Runner: EngineRunner{Store: deps.Store, Instance: instance, Logger: log, Pools: pools, Renewer: &replay.Renewer{}, Statuses: &replay.StatusBatcher{Interval: StatusInterval, Linger: StatusLinger}, Figures: figs, Grants: grants, PublicURL: s.PublicURL, Now: deps.Now,
			Tuning: engine.Tuning{MaxInFlightEvents: MaxInFlightEvents, DailyInterval: deps.DailyInterval,
				MaxInFlightBytes: MaxInFlightBytes}},
		PollInterval: s.PollInterval, DisableAfter: s.DisableAfter, Notify: notifier.Notify,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	running.Store(sched)
	log.Info("serving the registry's integrations", "instance", instance)
	if deps.Started != nil {
		deps.Started(sched)
	}
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); _ = sched.Run(schedCtx) }()
	// Membership outlives the scheduler: the integrations stop (and release
	// their leases) before this instance leaves the live set.
	memberCtx, leave := context.WithCancel(context.WithoutCancel(ctx))
	memberDone := make(chan struct{})
	go func() { defer close(memberDone); _ = m.Run(memberCtx) }()
	<-ctx.Done()
	stopSched()
	<-schedDone
	leave()
	<-memberDone
	return nil
}
