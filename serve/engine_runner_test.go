package serve_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/serve"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// Two integrations read the same simulated org into two CM sources, served
// by two instances through the engine: each source gets every case once,
// and each integration keeps its own checkpoints (the store is scoped).
func TestTwoInstancesServeTwoIntegrationsOfOneOrgIntoTheirOwnSources(t *testing.T) {
	t.Parallel()
	w := simworld.New(t, simworld.Options{Seed: 11, Project: "acme", Source: "support", Store: simworld.Redis})
	w.CM.CreateSource("acme", "sales")
	d := newDeploymentOn(t, w.Store)
	specFor := func(source string, objects ...string) integration.Spec {
		s := integration.Spec{
			Name: "acme/" + source,
			Salesforce: integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
				AccessToken: w.Sim.AccessToken, InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID()},
			CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: source,
				Linger: 10 * time.Millisecond},
			Run: integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second, LeaseTTL: 2 * time.Second},
		}
		for _, o := range objects {
			s.Objects = append(s.Objects, mapper.ObjectMapping{Object: o})
		}
		return s
	}
	d.apply(specFor("support", "Case", "EmailMessage"), specFor("sales", "Case"))

	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	scheds := map[string]*serve.Scheduler{}
	pools := map[string]*serve.Pools{}
	t.Cleanup(func() {
		cancel()
		wg.Wait() // every integration stopped: its streams are done
		for _, p := range pools {
			p.Close()
		}
	})
	for _, name := range []string{"a", "b"} {
		m, err := membership.Join(t.Context(), membership.Config{Instance: name, TTL: ttl, Store: w.Store})
		if err != nil {
			t.Fatal(err)
		}
		pools[name] = &serve.Pools{}
		runner := serve.EngineRunner{Store: w.Store, Instance: name, StateEvery: 50 * time.Millisecond, Pools: pools[name]}
		s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: w.Store, Runner: runner,
			PollInterval: poll, ReportInterval: poll, Restart: retryFast()})
		if err != nil {
			t.Fatal(err)
		}
		scheds[name] = s
		wg.Add(2)
		go func() { defer wg.Done(); _ = m.Run(ctx) }()
		go func() { defer wg.Done(); _ = s.Run(ctx) }()
	}

	var ids []string
	for i := range 5 {
		id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("Printer on fire #%d", i), "Description": "It smokes.", "Status": "New", "Origin": "Email"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	simworld.Eventually(t, "every case in both sources", func() bool {
		for _, source := range []string{"support", "sales"} {
			got := map[string]bool{}
			for _, c := range w.CM.Comments("acme", source) {
				got[c.ID] = true
			}
			if len(got) < len(ids) {
				return false
			}
		}
		return true
	})
	for _, source := range []string{"support", "sales"} {
		if n := len(w.CM.Comments("acme", source)); n != len(ids) {
			t.Fatalf("source %s holds %d comments; want exactly the %d cases", source, n, len(ids))
		}
	}
	// Every unit (support: 2 topics + polling, sales: 1 + polling) streams
	// on one of the two instances, as the reports say.
	simworld.Eventually(t, "the reports to show every unit streaming", func() bool {
		reps, err := serve.ReadReports(t.Context(), w.Store)
		if err != nil {
			t.Fatal(err)
		}
		units := 0
		for _, r := range reps {
			if r.Name != serve.StateStreaming {
				return false
			}
			units += len(r.Units)
		}
		return units == 5
	})
	// Each instance's streams share one pooled connection.
	for name, p := range pools {
		if streams := p.Streams(); len(streams) > 1 {
			t.Fatalf("instance %s opened %d connections for its streams %v; want them shared on one", name, len(streams), streams)
		}
	}
}
