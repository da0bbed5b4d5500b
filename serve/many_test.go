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
// three instances, with the invariants of the fault suite: every
// integration's records land in its own source and nowhere else (nothing
// lost, nothing misrouted), re-sent unchanged comments stay bounded, every
// unit's checkpoint (replay ID and fencing token, polled throughout) never
// goes back, the units are spread evenly, and they move gracefully when an
// instance leaves and when another joins, with cases created at each step.
func TestManyOrgsServedByThreeInstancesLandEachInItsOwnSource(t *testing.T) {
	t.Parallel()
	n := *manyIntegrations
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: n, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(100 + i)} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	got := newReceipts()
	cm, err := commsmining.Start(commsmining.Options{OnReceipt: got.note})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })
	store, _, _ := simworld.NewRedisStore(t)
	d := newDeploymentOn(t, store)

	var specs []integration.Spec
	var topics []watchedTopic
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
		for _, topic := range []string{"/data/CaseChangeEvent", "/data/EmailMessageChangeEvent", "/data/TaskChangeEvent"} {
			topics = append(topics, watchedTopic{integration: "acme/" + source, org: org.Org.ID(), topic: topic})
		}
	}
	d.apply(specs...)
	checkpoints := watchCheckpoints(t, store, topics)

	instances := map[string]func(){}
	var wg sync.WaitGroup
	var poolsMu sync.Mutex
	var allPools []*serve.Pools
	t.Cleanup(func() {
		for _, stop := range instances {
			stop()
		}
		wg.Wait()
		for _, p := range allPools {
			p.Close()
		}
	})
	startInstance := func(name string) {
		ctx, cancel := context.WithCancel(context.Background())
		m, err := membership.Join(t.Context(), membership.Config{Instance: name, TTL: ttl, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		pools := &serve.Pools{}
		poolsMu.Lock()
		allPools = append(allPools, pools)
		poolsMu.Unlock()
		s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: store, PollInterval: poll, ReportInterval: poll,
			Restart: retryFast(), Runner: serve.EngineRunner{Store: store, Instance: name, Pools: pools, StateEvery: 100 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		// The scheduler stops (every integration drained, its leases
		// released) before the instance leaves the live set, as Serve does.
		schedDone := make(chan struct{})
		memberCtx, leave := context.WithCancel(context.Background())
		wg.Add(2)
		go func() { defer wg.Done(); defer close(schedDone); _ = s.Run(ctx) }()
		go func() { defer wg.Done(); _ = m.Run(memberCtx) }()
		instances[name] = func() { cancel(); <-schedDone; leave() }
	}
	for _, name := range []string{"a", "b", "c"} {
		startInstance(name)
	}

	want := map[string]map[string]bool{} // source → comment IDs
	wave := func(k int) {
		for i, org := range world.Orgs {
			id, err := org.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("org %d case %d", i, k), "Status": "New", "Origin": "Email"})
			if err != nil {
				t.Fatal(err)
			}
			source := specs[i].CommsMining.Source
			if want[source] == nil {
				want[source] = map[string]bool{}
			}
			want[source][mapper.CommentID("Case", id)] = true
		}
	}
	allLanded := func(what string) {
		t.Helper()
		simworld.Eventually(t, what, func() bool {
			for source, ids := range want {
				if cm.Len("acme", source) < len(ids) {
					return false
				}
			}
			return true
		})
	}
	last := ""
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(last)
		}
	})
	// spreadOver waits until every unit streams, held by the given
	// instances within one unit of even (so within ±10 % for 50
	// integrations × 4 units over 3 instances).
	spreadOver := func(names ...string) time.Duration {
		t.Helper()
		began := time.Now()
		simworld.Eventually(t, fmt.Sprintf("every unit streaming, spread evenly over %v", names), func() bool {
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
			held := 0
			for _, inst := range names {
				if per[inst] < units/len(names) || per[inst] > (units+len(names)-1)/len(names) {
					return false
				}
				held += per[inst]
			}
			return held == units
		})
		return time.Since(began)
	}

	wave(0)
	wave(1)
	allLanded("every org's first cases in its own source")
	spreadOver("a", "b", "c")

	instances["c"]()
	delete(instances, "c")
	wave(2)
	left := spreadOver("a", "b")
	allLanded("the cases made while c left")

	startInstance("d")
	wave(3)
	joined := spreadOver("a", "b", "d")
	allLanded("the cases made while d joined")
	t.Logf("%d integrations × 4 units: c left → its units streaming on a and b in %s; d joined → spread over a, b, d in %s",
		n, left.Round(time.Millisecond), joined.Round(time.Millisecond))

	for source, ids := range want {
		stored := map[string]bool{}
		for _, c := range cm.Comments("acme", source) {
			stored[c.ID] = true
		}
		for id := range ids {
			if !stored[id] {
				t.Errorf("source %s lacks %s", source, id)
			}
		}
		if len(stored) != len(ids) {
			t.Errorf("source %s holds %d comments; want its org's %d cases and nothing else", source, len(stored), len(ids))
		}
	}
	created, unchanged := got.total("new"), got.total("unchanged")
	t.Logf("CM: %d comments created, %d re-sent unchanged across the handovers", created, unchanged)
	// A handover re-sends at most what the unit had not yet checkpointed:
	// never more than one resend per comment over two handovers here.
	if unchanged > created {
		t.Errorf("%d unchanged re-sends for %d comments: duplicates are not bounded", unchanged, created)
	}
	checkpoints.check(t)
}
