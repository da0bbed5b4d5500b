package serve_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// Through the engine: an integration with a refused token, one whose CM
// source does not exist and one whose org revoked its sessions fail, are
// disabled with reason sync_error, and the healthy integration's comments
// keep landing meanwhile.
func TestBrokenIntegrationsAreDisabledAndTheHealthyOneStreamsOn(t *testing.T) {
	t.Parallel()
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: 2, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(300 + i)} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{"acme/healthy", "acme/forged", "acme/revoked"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })
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

	// Cases keep arriving in the healthy org while the others fail.
	var made []string
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
			id, err := healthyOrg.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("case %d", i), "Status": "New", "Origin": "Email"})
			if err == nil {
				made = append(made, id)
			}
		}
	}()
	for _, name := range []string{"acme/forged", "acme/no-such-source", "acme/revoked"} {
		simworld.Eventually(t, name+" to be disabled", func() bool {
			in, err := d.registry.Get(t.Context(), name)
			return err == nil && !in.Enabled
		})
		in, _ := d.registry.Get(t.Context(), name)
		if in.Disabled.Reason != registry.ReasonSyncError {
			t.Fatalf("%s disabled for %q (%s); want sync_error", name, in.Disabled.Reason, in.Disabled.Note)
		}
		t.Logf("%s: %s", name, in.Disabled.Note)
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
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
