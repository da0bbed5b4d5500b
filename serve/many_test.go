package serve_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// manyIntegrations sizes the many-orgs test: the acceptance asks
// for 50 (`go test ./serve -run ManyOrgs -serve-integrations 50`); the
// suite's default keeps it to a few seconds while still spreading three
// topics and a polling part of each integration over three instances.
var manyIntegrations = flag.Int("serve-integrations", 12, "integrations (one simulated org each) in TestManyOrgs…")

// Many integrations, each on its own simulated org and CM source, served by
// three instances: every integration's records land in its own source and
// nowhere else, and the units are spread evenly.
func TestManyOrgsServedByThreeInstancesLandEachInItsOwnSource(t *testing.T) {
	t.Parallel()
	n := *manyIntegrations
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: n, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(100 + i)} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	cm, err := commsmining.Start(commsmining.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })
	store, _, _ := simworld.NewRedisStore(t)
	d := newDeploymentOn(t, store)

	var specs []integration.Spec
	for i, org := range world.Orgs {
		source := fmt.Sprintf("org-%02d", i)
		cm.CreateSource("acme", source)
		host, _ := url.Parse(org.InstanceURL)
		specs = append(specs, integration.Spec{
			Name: "acme/" + source,
			Salesforce: integration.Salesforce{PubSubEndpoint: world.PubSub.Addr(), Insecure: true,
				AccessToken: org.AccessToken, InstanceURL: org.InstanceURL, TenantID: org.Org.ID(),
				Auth: integration.Auth{TrustedHosts: []string{host.Hostname()}}},
			CommsMining: uploader.Config{BaseURL: cm.URL(), Token: uploader.Secret(cm.Token()), Project: "acme", Source: source,
				Linger: 10 * time.Millisecond},
			Objects: []mapper.ObjectMapping{{Object: "Case"}, {Object: "EmailMessage"}, {Object: "Task"}},
			Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second, LeaseTTL: 2 * time.Second},
		})
	}
	d.apply(specs...)

	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	pools := map[string]*serve.Pools{}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		for _, p := range pools {
			p.Close()
		}
	})
	for _, name := range []string{"a", "b", "c"} {
		m, err := membership.Join(t.Context(), membership.Config{Instance: name, TTL: ttl, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		pools[name] = &serve.Pools{}
		s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: store, PollInterval: poll, ReportInterval: poll,
			Restart: retryFast(), Runner: serve.EngineRunner{Store: store, Instance: name, Pools: pools[name], StateEvery: 100 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { defer wg.Done(); _ = m.Run(ctx) }()
		go func() { defer wg.Done(); _ = s.Run(ctx) }()
	}

	// Two cases in every org.
	want := map[string][]string{}
	for i, org := range world.Orgs {
		for k := range 2 {
			id, err := org.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("org %d case %d", i, k), "Status": "New", "Origin": "Email"})
			if err != nil {
				t.Fatal(err)
			}
			want[specs[i].CommsMining.Source] = append(want[specs[i].CommsMining.Source], id)
		}
	}
	simworld.Eventually(t, "every org's cases in its own source", func() bool {
		for source, ids := range want {
			if cm.Len("acme", source) < len(ids) {
				return false
			}
		}
		return true
	})
	for source, ids := range want {
		got := map[string]bool{}
		for _, c := range cm.Comments("acme", source) {
			got[c.ID] = true
		}
		if len(got) != len(ids) {
			t.Fatalf("source %s holds %d comments; want its org's %d cases and nothing else", source, len(got), len(ids))
		}
	}
	// Every unit streams, spread within one unit of even over a, b and c.
	last := ""
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(last)
		}
	})
	simworld.Eventually(t, "every unit reported streaming", func() bool {
		views, err := serve.ReadOverview(t.Context(), d.registry, store)
		last = fmt.Sprint(views)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, v := range views {
			if v.State != serve.StateStreaming {
				return false
			}
			for _, u := range v.Units {
				per[u.Instance]++
			}
		}
		units := n * 4
		for _, inst := range []string{"a", "b", "c"} {
			if per[inst] < units/3 || per[inst] > (units+2)/3 {
				return false
			}
		}
		return true
	})
}
