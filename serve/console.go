package serve

import (
	"context"

	"net"
	"net/http"
	"strings"
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
	views, err := ReadOverview(ctx, c.reg, c.store)
	if err != nil {
		return nil, err
	}
	out := make([]console.Integration, 0, len(views))
	for _, v := range views {
		out = append(out, c.integration(ctx, v, false))
	}
	return out, nil
}

func (c consoleSource) Integration(ctx context.Context, name string) (console.Integration, error) {
	views, err := ReadOverview(ctx, c.reg, c.store)
	if err != nil {
		return console.Integration{}, err
	}
	for _, v := range views {
		if v.Name == name {
			return c.integration(ctx, v, true), nil
		}
	}
	return console.Integration{}, console.ErrUnknown
}

// integration fills one row; a status that cannot be read leaves the
// figures at zero (the state and reason still show).
func (c consoleSource) integration(ctx context.Context, v IntegrationView, topics bool) console.Integration {
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
	rep, err := ReadStatus(ctx, c.reg, c.store, v.Name, health.Policy{}, time.Now())
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
