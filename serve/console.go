package serve

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/console"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
)

// consoleSource gives the operator console the deployment's integrations:
// the overview joined with each integration's stored status.
type consoleSource struct {
	reg       *registry.Registry
	store     replay.Store
	publicURL string
	// now is the clock of "today" (nil: time.Now).
	now func() time.Time
}

func (c consoleSource) Integrations(ctx context.Context) ([]console.Integration, error) {
	views, entries, err := readOverview(ctx, c.reg, c.store)
	if err != nil {
		return nil, err
	}
	// Each row is a few store round trips: read consoleReads rows at once,
	// or a thousand integrations take a second and a half to list.
	out := make([]console.Integration, len(views))
	slots := make(chan struct{}, consoleReads)
	var wg sync.WaitGroup
	for i, v := range views {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			out[i] = c.integration(ctx, v, entries[i], false)
		})
	}
	wg.Wait()
	return out, nil
}

// consoleReads is how many integrations' rows the console reads at once.
const consoleReads = 16

func (c consoleSource) Integration(ctx context.Context, name string) (console.Integration, error) {
	views, entries, err := readOverview(ctx, c.reg, c.store)
	if err != nil {
		return console.Integration{}, err
	}
	for i, v := range views {
		if v.Name == name {
			return c.integration(ctx, v, entries[i], true), nil
		}
	}
	return console.Integration{}, console.ErrUnknown
}

// integration fills one row; a status that cannot be read leaves the
// figures at zero (the state and reason still show).
func (c consoleSource) integration(ctx context.Context, v IntegrationView, e registry.Entry, topics bool) console.Integration {
	in := console.Integration{Name: v.Name, State: v.State, Reason: v.Reason, Since: v.Since}
	if v.State == StatePendingAuth || v.State == StateNeedsReauth {
		in.AuthenticateURL = EngineRunner{PublicURL: c.publicURL}.authenticateURL(v.Name)
	}
	for _, u := range v.Units {
		in.Units = append(in.Units, console.Unit{Part: u.Part, State: u.State, Instance: u.Instance})
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if e.Err != nil {
		return in // the record does not open: the view says why
	}
	rep, err := statusOf(ctx, e.Integration, c.store, health.Policy{}, time.Now())
	if err != nil {
		return in
	}
	// Today's counts are what every instance added to the integration's
	// daily counts: they outlive worker restarts and takeovers.
	if today, err := replay.NewScoped(c.store, v.Name).Daily(ctx, rep.Org, now()); err == nil {
		in.CommentsToday, in.BillableToday = today.Comments, today.Billable
	}
	in.DeadLetters, in.ParkedDeadLetters = rep.DeadLetters, rep.ParkedDeadLetters
	for _, t := range rep.Topics {
		in.LagSeconds = max(in.LagSeconds, t.LagSeconds)
		if t.LastEventAt != nil && (in.LastEventAt == nil || t.LastEventAt.After(*in.LastEventAt)) {
			at := *t.LastEventAt
			in.LastEventAt = &at
		}
	}
	if topics {
		in.Topics = rep.Topics
	}
	return in
}

// pagesHandler is what the serve listener answers besides /metrics,
// /healthz and /readyz: the onboarding pages (with a public URL) and the
// operator console (with an admin token, or open on a loopback listener).
func pagesHandler(onboarding http.Handler, s Settings, src console.Source) (http.Handler, bool) {
	consoleOn := s.AdminToken != "" || loopbackListen(s.Listen)
	if onboarding == nil && !consoleOn {
		return nil, false
	}
	mux := http.NewServeMux()
	if onboarding != nil {
		mux.Handle("/external/", onboarding)
		mux.Handle("GET /integrations/{project}/{name}/oauth2/authenticate", onboarding)
	}
	if consoleOn {
		mux.Handle("/", console.Handler(console.Config{Source: src, AdminToken: s.AdminToken, Open: s.AdminToken == ""}))
	}
	return mux, consoleOn
}

// loopbackListen says whether the listener takes only local connections
// (the default 127.0.0.1:9464): the console may then be open.
func loopbackListen(listen string) bool {
	if listen == "" {
		return true
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
