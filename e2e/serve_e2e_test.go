package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// serveOrgs is how many integrations (one simulated org and CM source
// each) the instances below serve.
const serveOrgs = 10

// Three `sfcdc serve` processes on one Redis serve ten integrations of
// ten simulated orgs while cases keep being created in every org; one is
// SIGKILLed: its units stream on the other two; a fourth joins: units
// move to it. Every case created reaches its own CM source. How long the
// takeover and the rebalance took is logged (figures, not assertions).
func TestServeInstancesShareTheWorkSurviveASIGKILLAndRebalance(t *testing.T) {
	t.Parallel()
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: serveOrgs, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(300 + i)} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	cm, err := commsmining.Start(commsmining.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })

	key, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	prefix := redisKeyPrefix(t)
	env := append(os.Environ(), "SFCDC_SECRET_KEY="+key, "CM_TOKEN="+cm.Token())
	var specs strings.Builder
	for i, org := range world.Orgs {
		source := fmt.Sprintf("org-%02d", i)
		cm.CreateSource("acme", source)
		host, _ := url.Parse(org.InstanceURL)
		env = append(env, fmt.Sprintf("TOKEN_%02d=%s", i, org.AccessToken))
		fmt.Fprintf(&specs, `- name: acme/%[1]s
  salesforce: {pubsub_endpoint: %[2]q, insecure: true, access_token: "${TOKEN_%02[3]d}", instance_url: %[4]q, tenant_id: %[5]q,
    auth: {trusted_hosts: [%[6]q]}}
  commsmining: {base_url: %[7]q, token: "${CM_TOKEN}", project: acme, source: %[1]s, linger: 10ms}
  objects: [{object: Case}, {object: EmailMessage}, {object: Task}]
  run: {start: earliest, flush_interval: 50ms, lease_ttl: 3s, shutdown_grace: 10s}
`, source, world.PubSub.Addr(), i, org.InstanceURL, org.Org.ID(), host.Hostname(), cm.URL())
	}
	conf := writeFile(t, "serve.yaml", fmt.Sprintf("store:\n  redis_url: redis://%s/0\n  key_prefix: %q\ninstance: ${INSTANCE}\nlease_ttl: 3s\npoll_interval: 200ms\n",
		testRedisAddr(), prefix))
	if r := runSfcdc(t, env, "integrations", "apply", "-f", writeFile(t, "orgs.yaml", specs.String()), "--config", conf); r.code != 0 {
		t.Fatalf("apply: exit %d:\n%s", r.code, r.output())
	}

	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + testRedisAddr() + "/0", KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	instances := map[string]*exec.Cmd{}
	start := func(name string) {
		cmd := exec.Command(sfcdcBinary, "serve", "--config", conf)
		cmd.Env = append(env, "INSTANCE="+name)
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		interruptAtCleanup(t, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s:\n%s", name, lastBytes(out.String(), 3000))
			}
		})
		instances[name] = cmd
	}
	// streaming is, per unit reported streaming by a live instance, that
	// instance; dead instances' reports linger until they expire.
	streaming := func(dead ...string) map[string]string {
		reps, err := serve.ReadReports(t.Context(), store)
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]string{}
		for _, r := range reps {
			if r.Name != serve.StateStreaming || strings.Contains(strings.Join(dead, " "), r.Instance) {
				continue
			}
			for _, u := range r.Units {
				held[u.Key()] = r.Instance
			}
		}
		return held
	}
	per := func(held map[string]string) map[string]int {
		n := map[string]int{}
		for _, inst := range held {
			n[inst]++
		}
		return n
	}
	await := func(what string, limit time.Duration, cond func() bool) time.Duration {
		t.Helper()
		began := time.Now()
		for !cond() {
			if time.Since(began) > limit {
				t.Fatalf("gave up after %s waiting for %s", limit, what)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(began)
	}

	// Cases keep being created in every org until the end.
	var mu sync.Mutex
	created := map[string][]string{}
	ctx, stopTraffic := context.WithCancel(context.Background())
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		for k := 0; ctx.Err() == nil; k++ {
			for i, org := range world.Orgs {
				id, err := org.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("org %d case %d", i, k), "Status": "New", "Origin": "Email"})
				if err == nil {
					mu.Lock()
					created[fmt.Sprintf("org-%02d", i)] = append(created[fmt.Sprintf("org-%02d", i)], id)
					mu.Unlock()
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { stopTraffic(); traffic.Wait() })

	// The checker of the fault suite's I3/I4, polled throughout: no
	// unit's checkpoint goes back, in replay ID or in fencing token (a
	// write under an older token after a newer one would be a second
	// writer's).
	fenced := pollCheckpoints(t, store, world)

	units := serveOrgs * 4 // three topics and the polling part each
	for _, name := range []string{"s1", "s2", "s3"} {
		start(name)
	}
	await("every unit streaming on s1, s2 and s3", 2*time.Minute, func() bool {
		h := per(streaming())
		return h["s1"]+h["s2"]+h["s3"] == units && h["s1"] > 0 && h["s2"] > 0 && h["s3"] > 0
	})
	before := per(streaming())
	t.Logf("units per instance: %v", before)

	mu.Lock()
	atKill := map[string]int{}
	for source, ids := range created {
		atKill[source] = len(ids)
	}
	mu.Unlock()
	if err := instances["s1"].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// flowing: a case created after the kill reached CM in every org,
	// s1's included: the Case topics stream again.
	flowing := await("a case created after the SIGKILL in CM, for every org", 2*time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for source, ids := range created {
			got := map[string]bool{}
			for _, c := range cm.Comments("acme", source) {
				got[c.ID] = true
			}
			arrived := false
			for _, id := range ids[atKill[source]:] {
				arrived = arrived || got[mapper.CommentID("Case", id)]
			}
			if !arrived {
				return false
			}
		}
		return true
	})
	t.Logf("after SIGKILL of s1, cases created since reached CM in every org within %s", flowing.Round(100*time.Millisecond))
	takeover := await("s1's units streaming on s2 and s3", 2*time.Minute, func() bool {
		h := per(streaming("s1"))
		return h["s2"]+h["s3"] == units
	})
	t.Logf("after SIGKILL of s1 (%d units, lease TTL 3s), every unit was reported streaming on s2 and s3 (reports every 5s) within %s", before["s1"], (flowing + takeover).Round(100*time.Millisecond))

	start("s4")
	rebalance := await("units moved to s4", 2*time.Minute, func() bool {
		h := per(streaming("s1"))
		return h["s2"]+h["s3"]+h["s4"] == units && h["s4"] >= units/3
	})
	t.Logf("after s4 joined, units were even again within %s: %v", rebalance.Round(100*time.Millisecond), per(streaming("s1")))

	stopTraffic()
	traffic.Wait()
	mu.Lock()
	defer mu.Unlock()
	await("every created case in its own source", 2*time.Minute, func() bool {
		for source, ids := range created {
			if cm.Len("acme", source) < len(ids) {
				return false
			}
		}
		return true
	})
	total := 0
	for source, ids := range created {
		got := map[string]bool{}
		for _, c := range cm.Comments("acme", source) {
			got[c.ID] = true
		}
		for _, id := range ids {
			if !got[mapper.CommentID("Case", id)] {
				t.Fatalf("case %s of %s never reached CM", id, source)
			}
		}
		total += len(ids)
	}
	t.Logf("%d cases created across the SIGKILL and the join, all in CM", total)
	writes, violations := fenced()
	for _, v := range violations {
		t.Error(v)
	}
	if writes == 0 {
		t.Fatal("the checkpoint poller saw no checkpoint written")
	}
	t.Logf("%d checkpoint writes observed across the SIGKILL and the join, none going back in replay ID or fencing token", writes)
}

// pollCheckpoints reads every unit's checkpoint (each integration's
// topics, in its scope of the store) every 20 ms until done is called,
// which returns the distinct writes seen and every step back.
func pollCheckpoints(t *testing.T, store replay.Store, world *sfsim.World) (done func() (int, []string)) {
	type seen struct{ replay, token uint64 }
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	last := map[string]seen{}
	var writes int
	var violations []string
	go func() {
		defer close(finished)
		for ctx.Err() == nil {
			for i, org := range world.Orgs {
				scoped := replay.NewScoped(store, fmt.Sprintf("acme/org-%02d", i))
				for _, topic := range []string{"/data/CaseChangeEvent", "/data/EmailMessageChangeEvent", "/data/TaskChangeEvent"} {
					cp, err := scoped.Checkpoint(ctx, org.Org.ID(), topic)
					if err != nil || len(cp.ReplayID) != 8 {
						continue
					}
					key := fmt.Sprintf("org-%02d %s", i, topic)
					now := seen{binary.BigEndian.Uint64(cp.ReplayID), cp.Token}
					prev, ok := last[key]
					if ok && prev == now {
						continue
					}
					if ok && (now.replay < prev.replay || now.token < prev.token) {
						violations = append(violations, fmt.Sprintf("%s: checkpoint went from replay %d (token %d) to replay %d (token %d)",
							key, prev.replay, prev.token, now.replay, now.token))
					}
					last[key] = now
					writes++
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-finished }) })
	return func() (int, []string) {
		once.Do(func() { cancel(); <-finished })
		return writes, violations
	}
}
