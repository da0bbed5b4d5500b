package serve_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// Through the engine: an integration with a refused token, one whose CM
// source does not exist and one whose org revoked its sessions fail, show
// as error, then are disabled with reason sync_error; one whose CM source
// is full is disabled with reason quota; and the healthy integration's
// comments keep landing meanwhile (its commit → CM latency is logged).
func TestBrokenIntegrationsAreDisabledAndTheHealthyOneStreamsOn(t *testing.T) {
	t.Parallel()
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: 2, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(300 + i)} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	arrived := newArrivals()
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{"acme/healthy", "acme/forged", "acme/revoked", "acme/full"},
		OnReceipt: arrived.note})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })
	cm.SetSourceQuota("acme", "full", 1)
	store, _, _ := simworld.NewRedisStore(t)
	d := newDeploymentOn(t, store)
	healthyOrg, revokedOrg := world.Orgs[0], world.Orgs[1]
	specOf := func(name string, org *sfsim.Sim, token string) integration.Spec {
		return integration.Spec{
			Name: "acme/" + name,
			Salesforce: integration.Salesforce{PubSubEndpoint: world.PubSub.Addr(), Insecure: true,
				AccessToken: token, InstanceURL: org.InstanceURL, TenantID: org.Org.ID(),
				Auth: integration.Auth{TrustedHosts: []string{hostOf(org.InstanceURL)}}},
			CommsMining: uploader.Config{BaseURL: cm.URL(), Token: uploader.Secret(cm.Token()), Project: "acme", Source: name,
				Linger: 10 * time.Millisecond},
			Objects: []mapper.ObjectMapping{{Object: "Case"}},
			Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 5 * time.Second, LeaseTTL: 2 * time.Second},
		}
	}
	d.apply(
		specOf("healthy", healthyOrg, healthyOrg.AccessToken),
		specOf("forged", healthyOrg, healthyOrg.Org.ID()+"!forged-token"),
		specOf("no-such-source", healthyOrg, healthyOrg.AccessToken),
		specOf("revoked", revokedOrg, revokedOrg.AccessToken),
		specOf("full", healthyOrg, healthyOrg.AccessToken),
	)
	revokedOrg.Tokens.RevokeAll()

	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	pools := &serve.Pools{}
	t.Cleanup(func() { cancel(); wg.Wait(); pools.Close() })
	m, err := membership.Join(t.Context(), membership.Config{Instance: "a", TTL: ttl, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: store, PollInterval: poll, ReportInterval: poll,
		Restart: retryFast(), DisableAfter: 1500 * time.Millisecond,
		Runner: serve.EngineRunner{Store: store, Instance: "a", Pools: pools, StateEvery: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = m.Run(ctx) }()
	go func() { defer wg.Done(); _ = s.Run(ctx) }()

	broken := map[string]registry.Reason{"acme/forged": registry.ReasonSyncError, "acme/no-such-source": registry.ReasonSyncError,
		"acme/revoked": registry.ReasonSyncError, "acme/full": registry.ReasonQuota}
	seen := watchStates(t, d.registry, store)

	// Cases keep arriving in the healthy org while the others fail.
	var made []string
	createdAt := map[string]time.Time{}
	stopMaking := make(chan struct{})
	madeDone := make(chan struct{})
	go func() {
		defer close(madeDone)
		for i := 0; ; i++ {
			select {
			case <-stopMaking:
				return
			case <-time.After(100 * time.Millisecond):
			}
			at := time.Now()
			id, err := healthyOrg.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("case %d", i), "Status": "New", "Origin": "Email"})
			if err == nil {
				made = append(made, id)
				createdAt[mapper.CommentID("Case", id)] = at
			}
		}
	}()
	for name, reason := range broken {
		simworld.Eventually(t, name+" to be disabled", func() bool {
			in, err := d.registry.Get(t.Context(), name)
			return err == nil && !in.Enabled
		})
		in, _ := d.registry.Get(t.Context(), name)
		if in.Disabled.Reason != reason {
			t.Fatalf("%s disabled for %q (%s); want %s", name, in.Disabled.Reason, in.Disabled.Note, reason)
		}
		t.Logf("%s: %s", name, in.Disabled.Note)
	}
	simworld.Eventually(t, "the overview to show every broken integration disabled", func() bool {
		states := seen.states()
		for name := range broken {
			if s := states[name]; len(s) == 0 || s[len(s)-1] != serve.StateDisabled {
				return false
			}
		}
		return true
	})
	for name, states := range seen.states() {
		if _, isBroken := broken[name]; !isBroken {
			continue
		}
		errorAt, disabledAt := slices.Index(states, serve.StateError), slices.Index(states, serve.StateDisabled)
		if errorAt < 0 || errorAt > disabledAt {
			t.Errorf("%s went through %v; want error before disabled", name, states)
		}
	}
	close(stopMaking)
	<-madeDone
	simworld.Eventually(t, "every case of the healthy org in its source", func() bool {
		got := map[string]bool{}
		for _, c := range cm.Comments("acme", "healthy") {
			got[c.ID] = true
		}
		return len(got) == len(made)
	})
	if in, _ := d.registry.Get(t.Context(), "acme/healthy"); !in.Enabled {
		t.Fatal("the healthy integration was disabled")
	}
	if states := seen.states()["acme/healthy"]; slices.Contains(states, serve.StateError) {
		t.Errorf("the healthy integration went through %v", states)
	}
	// The healthy integration's latency while the others failed: created in
	// Salesforce → stored in CM.
	var lat []time.Duration
	for id, at := range createdAt {
		if got, ok := arrived.first(id); ok {
			lat = append(lat, got.Sub(at))
		}
	}
	slices.Sort(lat)
	if len(lat) != len(made) {
		t.Fatalf("%d arrivals timed of %d cases", len(lat), len(made))
	}
	t.Logf("healthy integration beside 4 failing ones: %d cases, create → CM p50 %s, p99 %s, max %s",
		len(lat), lat[len(lat)/2], lat[(len(lat)*99)/100], lat[len(lat)-1])
}

// arrivals keeps when each comment first reached CM.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func newArrivals() *arrivals { return &arrivals{at: map[string]time.Time{}} }

func (a *arrivals) note(r commsmining.Receipt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.at[r.CommentID]; !ok {
		a.at[r.CommentID] = r.At
	}
}

func (a *arrivals) first(id string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[id]
	return t, ok
}

// stateLog is the sequence of distinct states the overview showed for each
// integration, read every 20 ms until the test ends.
type stateLog struct {
	mu  sync.Mutex
	seq map[string][]string
}

func watchStates(t *testing.T, reg *registry.Registry, store replay.ReportStore) *stateLog {
	l := &stateLog{seq: map[string][]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if views, err := serve.ReadOverview(ctx, reg, store); err == nil {
				l.mu.Lock()
				for _, v := range views {
					if s := l.seq[v.Name]; len(s) == 0 || s[len(s)-1] != v.State {
						l.seq[v.Name] = append(s, v.State)
					}
				}
				l.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return l
}

func (l *stateLog) states() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]string, len(l.seq))
	for k, v := range l.seq {
		out[k] = slices.Clone(v)
	}
	return out
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
