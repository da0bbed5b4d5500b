package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// Serve as `sfcdc serve` runs it: joins, runs the registry's integration,
// and on cancel stops it, leaves the live set and removes its reports.
func TestServeRunsTheRegistryAndLeavesNothingBehindWhenStopped(t *testing.T) {
	t.Parallel()
	w := simworld.New(t, simworld.Options{Seed: 12, Project: "acme", Source: "support", Store: simworld.Redis})
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	spec := integration.Spec{
		Name: "acme/support",
		Salesforce: integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
			AccessToken: w.Sim.AccessToken, InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID()},
		CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: "support",
			Linger: 10 * time.Millisecond},
		Objects: []mapper.ObjectMapping{{Object: "Case"}},
		Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second},
	}
	if _, err := registry.New(w.Store, keys).Apply(t.Context(), []integration.Spec{spec}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan *serve.Scheduler, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "solo", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond},
			serve.Deps{Store: w.Store, Keys: keys, Started: func(s *serve.Scheduler) { started <- s }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-started
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Printer on fire", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the case in CM", func() bool { return w.CMHas("Case", id) })
	simworld.Eventually(t, "the instance to be a member", func() bool {
		ms, _ := w.Store.Members(t.Context())
		return len(ms) == 1 && ms[0].Name == "solo"
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v after cancel", err)
	}
	done <- nil // for the cleanup
	if ms, _ := w.Store.Members(t.Context()); len(ms) != 0 {
		t.Fatalf("members after stopping: %v", ms)
	}
	if reps, _ := w.Store.Reports(t.Context()); len(reps) != 0 {
		t.Fatalf("reports after stopping: %d", len(reps))
	}
}

func TestServeSettingsNameEachProblem(t *testing.T) {
	t.Parallel()
	s := serve.Settings{Instance: "bad\nname", LeaseTTL: 100 * time.Millisecond, PollInterval: -time.Second, SecretKeyFile: "/nonexistent/keys"}
	got := strings.Join(s.Problems(), "\n")
	for _, want := range []string{"instance:", "lease_ttl: 100ms is under 1s", "poll_interval:", "secret_key_file:", "generate-key"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not say %q:\n%s", want, got)
		}
	}
	if p := (serve.Settings{}).Problems(); len(p) != 0 {
		t.Fatalf("the zero settings have problems: %v", p)
	}
	if name := (serve.Settings{}).InstanceName(); !strings.Contains(name, "-") {
		t.Fatalf("default instance name %q; want host-pid", name)
	}
}
