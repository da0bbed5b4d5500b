package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

const (
	ttl  = 2 * time.Second // long enough that a loaded machine never drops a live instance
	poll = 50 * time.Millisecond
)

// deployment is one Redis store shared by the instances of a test, the
// registry over it, and what every instance's runner is running.
type deployment struct {
	t        *testing.T
	store    replay.Store
	registry *registry.Registry

	mu     sync.Mutex
	active map[string]map[string]int // unit key → instances running it (briefly two while a unit moves)
	starts map[string]int            // integration → runs started
	fail   map[string]error          // integration → the error its runs fail with
}

// newDeploymentOn is a deployment whose registry lives in store.
func newDeploymentOn(t *testing.T, store replay.Store) *deployment {
	t.Helper()
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{4}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return &deployment{t: t, store: store, registry: registry.New(store, keys),
		active: map[string]map[string]int{}, starts: map[string]int{}, fail: map[string]error{}}
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	store, _, _ := simworld.NewRedisStore(t)
	return newDeploymentOn(t, store)
}

// spec is an integration with the given objects.
func spec(t *testing.T, name string, objects ...string) integration.Spec {
	t.Helper()
	var list strings.Builder
	for _, o := range objects {
		fmt.Fprintf(&list, "  - object: %s\n", o)
	}
	raw := fmt.Sprintf(`name: %s
salesforce:
  instance_url: https://example.my.salesforce.com
  access_token: 00Dx!token
  tenant_id: 00D5e000000XyZ1
commsmining:
  base_url: https://cm.example.com
  token: cm-token
  project: acme
  source: %s
objects:
%s`, name, strings.ReplaceAll(name, "/", "-"), list.String())
	s, err := integration.Load[integration.Spec]("test.yaml", []byte(raw), integration.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (d *deployment) apply(specs ...integration.Spec) {
	d.t.Helper()
	if _, err := d.registry.Apply(d.t.Context(), specs); err != nil {
		d.t.Fatal(err)
	}
}

// runner is instance's runner: it marks its units active until its run
// ends, or fails at once for an integration set to fail.
func (d *deployment) runner(instance string) serve.Runner {
	return serve.RunnerFunc(func(ctx context.Context, in registry.Integration, units []serve.Unit, report func(serve.State)) error {
		report(serve.State{Name: serve.StateStarting})
		d.mu.Lock()
		d.starts[in.Name()]++
		if err := d.fail[in.Name()]; err != nil {
			d.mu.Unlock()
			return err
		}
		for _, u := range units {
			if d.active[u.Key()] == nil {
				d.active[u.Key()] = map[string]int{}
			}
			d.active[u.Key()][instance]++
		}
		d.mu.Unlock()
		report(serve.State{Name: serve.StateStreaming})
		<-ctx.Done()
		d.mu.Lock()
		for _, u := range units {
			if d.active[u.Key()][instance]--; d.active[u.Key()][instance] == 0 {
				delete(d.active[u.Key()], instance)
			}
			if len(d.active[u.Key()]) == 0 {
				delete(d.active, u.Key())
			}
		}
		d.mu.Unlock()
		return nil
	})
}

// instance is one running scheduler with its membership.
type instance struct {
	name  string
	sched *serve.Scheduler
	stop  context.CancelFunc
	done  chan struct{}
}

func (d *deployment) start(name string, disableAfter time.Duration) *instance {
	d.t.Helper()
	m, err := membership.Join(d.t.Context(), membership.Config{Instance: name, TTL: ttl, Store: d.store})
	if err != nil {
		d.t.Fatal(err)
	}
	s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: d.store, Runner: d.runner(name),
		PollInterval: poll, ReportInterval: poll, DisableAfter: disableAfter,
		Restart: retryFast()})
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{name: name, sched: s, stop: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = m.Run(ctx) }()
	go func() { defer wg.Done(); _ = s.Run(ctx) }()
	go func() { wg.Wait(); close(in.done) }()
	d.t.Cleanup(func() { cancel(); <-in.done })
	return in
}

// owners is what runs where: a unit run by two instances at once (while
// it moves) shows as "a+b".
func (d *deployment) owners() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.active))
	for k, insts := range d.active {
		out[k] = strings.Join(slices.Sorted(maps.Keys(insts)), "+")
	}
	return out
}

func allUnits(specs ...integration.Spec) []string {
	var out []string
	for _, s := range specs {
		for _, u := range serve.UnitsOf(s) {
			out = append(out, u.Key())
		}
	}
	return out
}

// runsExactly says whether the running units are exactly want, each on
// one instance.
func (d *deployment) runsExactly(want []string) bool {
	got := d.owners()
	if len(got) != len(want) {
		return false
	}
	for _, k := range want {
		if got[k] == "" || strings.Contains(got[k], "+") {
			return false
		}
	}
	return true
}

func TestInstancesShareTheUnitsEvenlyAndTakeOverFromOneThatLeaves(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	var specs []integration.Spec
	for i := range 10 {
		specs = append(specs, spec(t, fmt.Sprintf("acme/i%02d", i), "EmailMessage", "Case"))
	}
	d.apply(specs...)
	want := allUnits(specs...) // 10 × (2 topics + polling) = 30
	a, b, c := d.start("a", 0), d.start("b", 0), d.start("c", 0)
	_ = a
	_ = b
	simworld.Eventually(t, "every unit to run, ten on each instance", func() bool {
		if !d.runsExactly(want) {
			return false
		}
		per := map[string]int{}
		for _, inst := range d.owners() {
			per[inst]++
		}
		return per["a"] == 10 && per["b"] == 10 && per["c"] == 10
	})

	// Every instance reports its integrations to the store.
	simworld.Eventually(t, "reports of the three instances", func() bool {
		reps, err := serve.ReadReports(t.Context(), d.store)
		if err != nil {
			t.Fatal(err)
		}
		units := 0
		for _, r := range reps {
			units += len(r.Units)
			if r.Name != serve.StateStreaming {
				return false
			}
		}
		return units == len(want)
	})

	// c stops: its units run on a and b, fifteen each.
	c.stop()
	<-c.done
	simworld.Eventually(t, "c's units to move to a and b", func() bool {
		if !d.runsExactly(want) {
			return false
		}
		per := map[string]int{}
		for _, inst := range d.owners() {
			per[inst]++
		}
		return per["a"] == 15 && per["b"] == 15
	})
}

func TestRegistryChangesTakeEffectOnTheRunningInstances(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	one := spec(t, "acme/one", "EmailMessage")
	d.apply(one)
	if views, _ := serve.ReadOverview(t.Context(), d.registry, d.store); func() bool { r, _ := serve.Ready(views); return r }() {
		t.Fatal("ready before any instance runs acme/one")
	}
	d.start("a", 0)
	d.start("b", 0)
	simworld.Eventually(t, "acme/one to run", func() bool { return d.runsExactly(allUnits(one)) })

	two := spec(t, "acme/two", "Case", "Task")
	d.apply(two)
	simworld.Eventually(t, "the applied integration to run", func() bool { return d.runsExactly(allUnits(one, two)) })

	changed := spec(t, "acme/two", "Case")
	d.apply(changed)
	simworld.Eventually(t, "the changed object list to run", func() bool { return d.runsExactly(allUnits(one, changed)) })

	if _, err := d.registry.Disable(t.Context(), "acme/one", registry.ReasonUser, "maintenance window"); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the disabled integration to stop", func() bool { return d.runsExactly(allUnits(changed)) })

	// The overview (`sfcdc integrations list`) says which is which.
	simworld.Eventually(t, "the overview to show acme/two streaming on the instances", func() bool {
		views, err := serve.ReadOverview(t.Context(), d.registry, d.store)
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 2 || views[0].Name != "acme/one" || views[1].Name != "acme/two" {
			t.Fatalf("overview %+v; want acme/one and acme/two", views)
		}
		if views[0].State != serve.StateDisabled || views[0].Reason != "user: maintenance window" {
			t.Fatalf("acme/one: %s (%s); want disabled (user: maintenance window)", views[0].State, views[0].Reason)
		}
		for _, u := range views[1].Units {
			if u.State != serve.StateStreaming || (u.Instance != "a" && u.Instance != "b") {
				return false
			}
		}
		return views[1].State == serve.StateStreaming
	})
	views, _ := serve.ReadOverview(t.Context(), d.registry, d.store)
	if ready, missing := serve.Ready(views); !ready {
		t.Fatalf("not ready with every enabled unit running: %v", missing)
	}
	var table strings.Builder
	serve.WriteOverview(&table, views, time.Now())
	for _, want := range []string{"acme/one  ", "disabled", "user: maintenance window", "/data/CaseChangeEvent", "polling", "streaming", "INTEGRATION"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the overview table does not show %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(table.String(), "on a") && !strings.Contains(table.String(), "on b") {
		t.Errorf("the overview table does not say which instance runs acme/two:\n%s", table.String())
	}

	if _, err := d.registry.Enable(t.Context(), "acme/one"); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the enabled integration to run again", func() bool { return d.runsExactly(allUnits(one, changed)) })

	if _, err := d.registry.Delete(t.Context(), "acme/two"); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the deleted integration to stop", func() bool { return d.runsExactly(allUnits(one)) })
}

func TestAPersistentlyFailingIntegrationIsDisabledAndTheOthersAreUntouched(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	good, bad, quota := spec(t, "acme/good", "EmailMessage"), spec(t, "acme/bad", "EmailMessage"), spec(t, "acme/quota", "Case")
	d.mu.Lock()
	d.fail["acme/bad"] = errors.New("Salesforce refused the credentials: invalid_client (Authorization: Bearer 00D5e000000XyZ1!CANARY-session-token)")
	d.fail["acme/quota"] = fmt.Errorf("upload: %w", serve.ErrQuota)
	d.mu.Unlock()
	d.apply(good, bad, quota)
	d.start("a", 500*time.Millisecond)
	simworld.Eventually(t, "acme/good to run", func() bool { return d.runsExactly(allUnits(good)) })
	d.mu.Lock()
	goodStarts := d.starts["acme/good"]
	d.mu.Unlock()

	// While it fails, the instance reports the error, redacted.
	simworld.Eventually(t, "a report of acme/bad failing", func() bool {
		reps, err := serve.ReadReports(t.Context(), d.store)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			if r.Integration == "acme/bad" && r.Name == serve.StateError {
				if strings.Contains(r.Reason, "CANARY-session-token") || !strings.Contains(r.Reason, "invalid_client") {
					t.Fatalf("the report's reason %q shows the session token or not the cause", r.Reason)
				}
				return true
			}
		}
		return false
	})
	for name, reason := range map[string]registry.Reason{"acme/bad": registry.ReasonSyncError, "acme/quota": registry.ReasonQuota} {
		simworld.Eventually(t, name+" to be disabled", func() bool {
			in, err := d.registry.Get(t.Context(), name)
			return err == nil && !in.Enabled
		})
		in, _ := d.registry.Get(t.Context(), name)
		if in.Disabled.Reason != reason || !strings.Contains(in.Disabled.Note, "failing since") {
			t.Fatalf("%s disabled with %+v; want reason %s and a note saying since when", name, in.Disabled, reason)
		}
	}
	// The reason reached the registry's note redacted.
	if badIn, _ := d.registry.Get(t.Context(), "acme/bad"); strings.Contains(badIn.Disabled.Note, "CANARY-session-token") || !strings.Contains(badIn.Disabled.Note, "invalid_client") {
		t.Fatalf("the note %q shows the session token or not the cause", badIn.Disabled.Note)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.starts["acme/good"] != goodStarts || d.starts["acme/bad"] < 2 {
		t.Fatalf("starts: good %d (was %d), bad %d; want the good one never restarted and the bad one retried", d.starts["acme/good"], goodStarts, d.starts["acme/bad"])
	}
	if !slices.Equal(slices.Sorted(maps.Keys(d.active)), slices.Sorted(slices.Values(allUnits(good)))) {
		t.Fatalf("running %v; want only acme/good", d.active)
	}
}

// A run's state change reaches the reports (what `integrations list`, the
// console and /readyz read) within a moment, not at the next report
// interval: here a minute, longer than the test waits.
func TestAStateChangeIsReportedAtOnceNotAtTheNextInterval(t *testing.T) {
	t.Parallel()
	d := newDeployment(t)
	d.apply(spec(t, "acme/prompt", "Case"))
	m, err := membership.Join(t.Context(), membership.Config{Instance: "solo", TTL: ttl, Store: d.store})
	if err != nil {
		t.Fatal(err)
	}
	streamNow, failNow := make(chan struct{}), make(chan struct{})
	runner := serve.RunnerFunc(func(ctx context.Context, in registry.Integration, units []serve.Unit, report func(serve.State)) error {
		report(serve.State{Name: serve.StateStarting})
		select {
		case <-streamNow:
		case <-ctx.Done():
			return nil
		}
		report(serve.State{Name: serve.StateStreaming})
		select {
		case <-failNow:
			return errors.New("CM answered 404: the source is missing")
		case <-ctx.Done():
			return nil
		}
	})
	s, err := serve.New(serve.Config{Registry: d.registry, Members: m, Reports: d.store, Runner: runner,
		PollInterval: poll, ReportInterval: time.Minute, DisableAfter: time.Hour, Restart: retryFast()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.Run(ctx) })
	wg.Go(func() { _ = s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	stateIs := func(want string) func() bool {
		return func() bool {
			views, err := serve.ReadOverview(t.Context(), d.registry, d.store)
			return err == nil && len(views) == 1 && views[0].State == want
		}
	}
	simworld.Eventually(t, "the run starting in the reports", stateIs(serve.StateStarting))
	close(streamNow)
	simworld.Eventually(t, "the run streaming in the reports", stateIs(serve.StateStreaming))
	close(failNow)
	simworld.Eventually(t, "the failure in the reports", stateIs(serve.StateError))
}
