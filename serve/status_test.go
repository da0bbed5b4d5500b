package serve_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/status"
)

// ReadStatus shows one integration's own topics from its scope of the
// shared store: the case created in its org is counted there and not in
// the other integration's report; an unknown name says where names are.
func TestReadStatusShowsOneIntegrationsOwnTopics(t *testing.T) {
	t.Parallel()
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: 2, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(400 + i)} }})
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
	keys := testKeys(t)
	reg := registry.New(store, keys)
	var specs []integration.Spec
	for i, org := range world.Orgs {
		specs = append(specs, orgSpec(world, org, cm, fmt.Sprintf("status-%d", i), "Case", "Task"))
	}
	if _, err := reg.Apply(t.Context(), specs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "solo", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond, Listen: "off"},
			serve.Deps{Store: store, Keys: keys})
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)

	_, err = world.Orgs[0].Org.Create("Case", sfsim.Values{"Subject": "Printer on fire", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the case in the first integration's source", func() bool { return cm.Len("acme", "status-0") == 1 })
	// A topic writes its status at each state change and every
	// serve.StatusInterval (30 s): the case's count reaches the store at
	// the latest when the instance stops and each topic writes its last
	// status, so the statuses are read after the stop rather than after
	// waiting out the interval (which this test did whenever the case
	// arrived after the topic began to stream).
	stop()
	read := func(name string) map[string]status.Topic {
		rep, err := serve.ReadStatus(t.Context(), reg, store, name, health.Policy{}, time.Now())
		if err != nil {
			t.Fatalf("ReadStatus %s: %v", name, err)
		}
		if rep.Org != world.Orgs[0].Org.ID() && rep.Org != world.Orgs[1].Org.ID() {
			t.Fatalf("ReadStatus %s: org %s is neither simulated org", name, rep.Org)
		}
		out := map[string]status.Topic{}
		for _, tp := range rep.Topics {
			out[tp.Topic] = tp
		}
		return out
	}
	simworld.Eventually(t, "the first integration's status counting its case", func() bool {
		tp := read(specs[0].Name)["/data/CaseChangeEvent"]
		return tp.Received == 1 && tp.Checkpoint == "ok"
	})
	first, second := read(specs[0].Name), read(specs[1].Name)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("topics %v and %v; want each integration's two", first, second)
	}
	if tp := second["/data/CaseChangeEvent"]; tp.Received != 0 || !tp.Configured {
		t.Fatalf("the second integration's case topic: %+v; want its own (configured, nothing received)", tp)
	}
	if _, err := serve.ReadStatus(t.Context(), reg, store, "acme/nobody", health.Policy{}, time.Now()); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("an unknown integration: %v; want ErrUnknown", err)
	}
}
