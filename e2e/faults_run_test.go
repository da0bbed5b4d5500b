package e2e

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// TestRunSurvivesTheFaultCatalogue is the fault suite of `sfcdc run`
// (reliability.md §4, issue 8): each subtest runs the daemon as a
// subprocess under steady generated traffic on EmailMessage, Case and Task,
// injects one fault, lets it clear, and ends when CM matches the org; the
// checker (faults_checker_test.go) then asserts I1–I5. The scenarios share
// nothing but the failpoint binary and the shared Redis (each under a key
// prefix of its own), so faultScenariosAtOnce of them run at a time.
func TestRunSurvivesTheFaultCatalogue(t *testing.T) {
	// Not parallel: I2's bound on duplicates holds at the pace of a daemon
	// that keeps up, and under CPU contention a crash finds more in
	// flight (at make test's -p 3 beside the package's other tests on a
	// loaded machine, 216 re-sent against 150). The package's other tests
	// run once the catalogue has, beside each other.
	failpointBinary(t) // build once, before the clocks of the scenarios start
	scenarios := newScenarioRunner(t, faultScenariosAtOnce)

	// F25: Salesforce REST answers 503 to record fetches for a while (the
	// longest scenario: five fetch retries growing by half from 200 ms,
	// some 2.6 s of waits — eight took 10 s and the scenario 14.5 s;
	// first, so it does not run alone at the end).
	scenarios.run("salesforce-rest-503", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		w.sim.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 5})
		eventually(t, 30*time.Second, "every injected REST error served", func() bool {
			return w.sim.RESTFaults.Get().ServerErrors == 0
		}, p)
		cleared, tip := time.Now(), w.tip()
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// The checker must see a loss when there is one: a daemon told to
	// start at LATEST after traffic began never receives the first records.
	scenarios.run("checker-sees-a-loss", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{start: "latest"})
		w.startTraffic()
		eventually(t, 30*time.Second, "traffic before the daemon starts", func() bool { return w.changes() >= 50 })
		p := w.startRun("latest", "")
		w.awaitStreaming(t, p)
		w.stopTraffic()
		if diff := w.cmDiff(w.expectedComments(t)); !strings.Contains(diff, "missing comment") {
			t.Fatalf("the checker saw no missing comment although the daemon started at LATEST after %d changes; diff: %q", 50, diff)
		}
		p.terminate(t)
	})

	// F1: SIGKILL at each crash point of the run path, then a restart.
	for _, point := range []string{"save-hashes:8", "checkpoint-before:10", "checkpoint-after:10", "fetch-records:4"} {
		scenarios.run("crash-at-"+strings.Split(point, ":")[0], func(t *testing.T) {
			w := newFaultWorld(t, worldOptions{})
			w.startTraffic()
			crashing := w.startRun("crashing", point)
			crashing.awaitKilled(t, point)
			cleared, tip := time.Now(), w.tip()
			w.startRun("restarted", "")
			w.steadyAfter(t, tip)
			w.finish(t, checkOptions{faultCleared: cleared})
		})
	}

	// F4/F5: Redis restarted (AOF, fsync always: nothing is lost), and
	// Redis gone for a few seconds.
	for _, down := range []time.Duration{0, 3 * time.Second} {
		name := "redis-restart"
		if down > 0 {
			name = "redis-unavailable-3s"
		}
		scenarios.run(name, func(t *testing.T) {
			w := newFaultWorld(t, worldOptions{privateRedis: true})
			w.startTraffic()
			p := w.startRun("a", "")
			w.awaitStreaming(t, p)
			w.note("Redis stopping")
			w.redis.stop(t)
			w.note("Redis stopped")
			time.Sleep(down) // the outage itself, not a wait for a result
			w.redis.start(t, "")
			w.note("Redis answers again")
			cleared, tip := time.Now(), w.tip()
			w.steadyAfter(t, tip)
			if !p.running() {
				t.Fatalf("sfcdc run exited during the Redis outage (%v):\n%s", p.cmd.ProcessState, tail(p.out.String()))
			}
			w.finish(t, checkOptions{faultCleared: cleared})
		})
	}

	// A narrower F5: Redis is down exactly while the daemon handles a
	// record's delete, is back before the lease runs out, and the record is
	// then restored. Forgetting the comment's content hashes fails, so CM
	// must not delete it yet (a deleted comment with stale hashes left behind
	// would make the restored record look already uploaded); once Redis
	// answers, the delete goes through, and the restored record reaches CM
	// again. The lease TTL is long enough to survive the outage, so the
	// stream is not replayed.
	scenarios.run("redis-down-while-a-delete-is-handled", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{privateRedis: true, leaseTTL: 6 * time.Second})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		org, topic := w.sim.Org.ID(), faultTopics[0]
		var recordID string
		if created, err := w.sim.Org.Transaction(func(tx *sfsim.Tx) error {
			caseID, err := tx.Create("Case", sfsim.Values{"Subject": "Parcel lost", "Status": "New", "Origin": "Email"})
			if err != nil {
				return err
			}
			recordID, err = tx.Create("EmailMessage", sfsim.Values{"ParentId": caseID, "Subject": "Where is my parcel?",
				"TextBody": "It did not arrive; please look into it.", "FromAddress": "customer@example.com",
				"ToAddress": "support@example.com", "Incoming": true, "Status": "0"})
			return err
		}); err != nil {
			t.Fatal(err)
		} else {
			w.recordHistory(created)
		}
		commentID := mapper.CommentID("EmailMessage", recordID)
		eventually(t, 30*time.Second, "the record's comment and hashes", func() bool {
			_, inCM := w.cm.Comment(faultProject, faultSource, commentID)
			h, err := w.store.Hashes(context.Background(), org, []string{commentID})
			return inCM && err == nil && len(h) == 1
		}, p)

		// Quiet from here, so the only delete in flight is this record's and
		// the daemon's warning about it is unambiguous.
		w.stopTraffic()
		const hashDeleteFailed = "forget the content hashes"
		failedBefore := strings.Count(p.out.String(), hashDeleteFailed)
		w.note("Redis stopping")
		w.redis.stop(t)
		w.note("Redis stopped")
		deleted, err := w.sim.Org.Transaction(func(tx *sfsim.Tx) error { return tx.Delete(recordID) })
		if err != nil {
			t.Fatal(err)
		}
		w.recordHistory(deleted)
		eventually(t, 30*time.Second, "forgetting the comment's hashes to fail while Redis is down", func() bool {
			return strings.Count(p.out.String(), hashDeleteFailed) > failedBefore
		}, p)
		if _, inCM := w.cm.Comment(faultProject, faultSource, commentID); !inCM {
			t.Fatal("CM deleted the comment while its content hashes could not be forgotten")
		}
		w.redis.start(t, "")
		w.note("Redis answers again")
		eventually(t, 30*time.Second, "the checkpoint past the delete, and the comment deleted", func() bool {
			cp, ok := w.mon.current(topic)
			_, inCM := w.cm.Comment(faultProject, faultSource, commentID)
			return ok && cp.replay >= deleted.Events[0].ReplayID && !inCM
		}, p)
		restored, err := w.sim.Org.Transaction(func(tx *sfsim.Tx) error { return tx.Undelete(recordID) })
		if err != nil {
			t.Fatal(err)
		}
		w.recordHistory(restored)
		w.note("record restored")
		w.finish(t, checkOptions{faultCleared: time.Now()})
	})

	// F7: the server ends streams with UNAVAILABLE after a few events, and
	// every TCP connection is reset (RST) three times.
	scenarios.run("stream-ends-unavailable", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		w.sim.Faults.Set(sfsim.FaultSettings{EndStreamAfterEvents: 25})
		before := len(w.pubsub.snapshot())
		eventually(t, 30*time.Second, "streams ended and resubscribed five times", func() bool {
			return len(w.pubsub.snapshot()) >= before+5
		}, p)
		w.sim.Faults.Set(sfsim.FaultSettings{})
		cleared, tip := time.Now(), w.tip()
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})
	scenarios.run("connection-resets", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		for range 3 {
			before := len(w.pubsub.snapshot())
			if n := w.pubsub.resetAll(); n == 0 {
				t.Fatal("no Pub/Sub connection to reset")
			}
			eventually(t, 30*time.Second, "resubscription after a connection reset", func() bool {
				return len(w.pubsub.snapshot()) >= before+len(faultTopics)
			}, p)
		}
		cleared, tip := time.Now(), w.tip()
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// F8: one stream goes silent (no events, no keepalives) while its
	// connection stays open: the 1 s watchdog resubscribes it.
	scenarios.run("silent-stream", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		before := len(w.pubsub.snapshot())
		w.sim.Faults.Set(sfsim.FaultSettings{StallAfterEvents: 5, Once: true})
		eventually(t, 30*time.Second, "the watchdog resubscribed the silent stream", func() bool {
			return len(w.pubsub.snapshot()) > before && strings.Contains(p.out.String(), "watchdog")
		}, p)
		w.sim.Faults.Set(sfsim.FaultSettings{})
		cleared, tip := time.Now(), w.tip()
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// F9: every session is revoked twice; REST calls and streams are
	// refused until the client credentials flow obtains a new one.
	scenarios.run("token-expiry", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		for range 2 {
			before := strings.Count(p.out.String(), "Salesforce session obtained")
			w.sim.Tokens.RevokeAll()
			eventually(t, 30*time.Second, "a new session after the revocation", func() bool {
				return strings.Count(p.out.String(), "Salesforce session obtained") > before
			}, p)
		}
		cleared, tip := time.Now(), w.tip()
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// F10/F11: the checkpoint names a replay ID the bus refuses. The topic
	// recovers by a REST backfill from the checkpoint's commit time, then
	// streams from EARLIEST: never from LATEST, so the changes made while
	// it was down arrive.
	scenarios.run("invalid-replay-id", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		started := time.Now()
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		p.terminate(t)
		topic := faultTopics[0]
		bogus := w.tip() + 1_000_000
		r := runSfcdc(t, w.env(), "replay", "set", "--config", w.config, "--topic", topic,
			"--replay-id", hexReplayID(bogus), "--commit-time", started.Add(-10*time.Second).UTC().Format(time.RFC3339), "--yes")
		if r.code != 0 {
			t.Fatalf("replay set exited %d:\n%s", r.code, r.output())
		}
		w.mon.operatorSet(topic, bogus)
		cleared, tip := time.Now(), w.tip()
		p2 := w.startRun("b", "")
		eventually(t, 30*time.Second, "the recovery backfill of "+topic, func() bool {
			return strings.Contains(p2.out.String(), "recovering topic by backfill")
		}, p2)
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// F12/F13: CM answers 429 with Retry-After, then 503s, then accepts
	// batches and times out (the retry re-sends them: bounded duplicates).
	cmFaults := map[string]commsmining.Fault{
		"cm-429-retry-after": {Endpoint: commsmining.EndpointSync, Status: 429, RetryAfter: "1", Times: 4},
		"cm-503":             {Endpoint: commsmining.EndpointSync, Status: 503, Times: 10},
		"cm-timeout":         {Endpoint: commsmining.EndpointSync, AcceptThenTimeout: true, Times: 3},
	}
	for _, name := range []string{"cm-429-retry-after", "cm-503", "cm-timeout"} {
		scenarios.run(name, func(t *testing.T) {
			w := newFaultWorld(t, worldOptions{})
			w.startTraffic()
			p := w.startRun("a", "")
			w.awaitStreaming(t, p)
			served := w.cm.Stats().FaultsServed
			f := cmFaults[name]
			w.cm.InjectFault(f)
			eventually(t, 30*time.Second, "every injected CM fault served", func() bool {
				return w.cm.Stats().FaultsServed >= served+int64(f.Times)
			}, p)
			cleared, tip := time.Now(), w.tip()
			w.steadyAfter(t, tip)
			w.finish(t, checkOptions{faultCleared: cleared})
		})
	}

	// F15: undecodable payloads on the EmailMessage channel are
	// dead-lettered with their replay IDs and the stream goes on past them.
	scenarios.run("malformed-avro", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		p := w.startRun("a", "")
		w.awaitStreaming(t, p)
		topic := faultTopics[0]
		schema := w.sim.Org.TopicSchemaID(topic)
		var forged uint64
		for i, payload := range [][]byte{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, {0x02}, {0x02, 'E', 0x80, 0xDA, 0xC4, 0x09}} {
			forged = w.sim.Bus.Append(sfsim.BusEvent{Entity: "EmailMessage", EventUUID: "forged-" + string(rune('a'+i)), SchemaID: schema, Payload: payload})
		}
		cleared, tip := time.Now(), w.tip()
		eventually(t, 30*time.Second, "the checkpoint past the forged events", func() bool {
			cp, ok := w.mon.current(topic)
			return ok && cp.replay >= forged
		}, p)
		letters, err := w.store.ListDeadLetters(context.Background(), w.sim.Org.ID(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		undecodable := 0
		for _, d := range letters {
			if d.Topic == topic && strings.Contains(d.Reason, "undecodable") {
				undecodable++
			}
		}
		if undecodable < 3 {
			t.Fatalf("%d undecodable events dead-lettered, want the 3 forged ones: %+v", undecodable, letters)
		}
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: cleared})
	})

	// F22: two instances started at once: one streams, the other stands
	// by; SIGKILL the streaming one and the other takes over, losing
	// nothing.
	scenarios.run("two-instances-leader-killed", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		procs := map[string]*faultProc{"a": w.startRun("a", ""), "b": w.startRun("b", "")}
		leader := w.awaitHolder(t, faultTopics[0], "", procs["a"], procs["b"])
		follower := procs[map[string]string{"a": "b", "b": "a"}[leader]]
		procs[leader].kill()
		killed, tip := time.Now(), w.tip()
		w.awaitHolder(t, faultTopics[0], follower.name, follower)
		t.Logf("the follower holds the lease %s after the kill", time.Since(killed).Round(time.Millisecond))
		cp, _ := w.mon.current(faultTopics[0])
		eventually(t, 30*time.Second, "the follower's checkpoint advancing", func() bool {
			now, _ := w.mon.current(faultTopics[0])
			return now.replay > cp.replay
		}, follower)
		// Liveness (I7), not speed: the lease expires at most one TTL after
		// the kill and the standby retries when it would expire; the slack
		// absorbs a loaded machine.
		took := time.Since(killed)
		t.Logf("the follower's checkpoint advanced %s after the leader was killed (lease TTL %s)", took.Round(time.Millisecond), faultLeaseTTL)
		if bound := faultLeaseTTL + 5*time.Second; took > bound {
			t.Errorf("I7: the follower took over %s after the leader died, more than one lease TTL and slack (%s)", took, bound)
		}
		w.steadyAfter(t, tip)
		w.finish(t, checkOptions{faultCleared: killed})
	})

	// F23: the leader is paused (SIGSTOP) longer than the lease; the other
	// instance takes over; woken (SIGCONT), the old leader must stop
	// streaming, and none of its checkpoint writes may be accepted.
	scenarios.run("pause-longer-than-lease", func(t *testing.T) {
		w := newFaultWorld(t, worldOptions{})
		w.startTraffic()
		procs := map[string]*faultProc{"a": w.startRun("a", ""), "b": w.startRun("b", "")}
		topic := faultTopics[0]
		leader := procs[w.awaitHolder(t, topic, "", procs["a"], procs["b"])]
		other := procs[map[string]string{"a": "b", "b": "a"}[leader.name]]
		eventually(t, 30*time.Second, "a checkpoint of the leader", func() bool {
			_, ok := w.mon.current(topic)
			return ok
		}, leader)
		if err := leader.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		w.note("SIGSTOP " + leader.name)
		stale, _ := w.mon.current(topic)
		w.awaitHolder(t, topic, other.name, other)
		eventually(t, 30*time.Second, "a checkpoint written under the new lease", func() bool {
			now, _ := w.mon.current(topic)
			return now.token > stale.token
		}, other)
		if err := leader.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		w.note("SIGCONT " + leader.name)
		woken, tip := time.Now(), w.tip()
		// The woken leader must have run long enough to try what a stale
		// writer would: it finds its lease gone (its deadline passed, or
		// the renewal is fenced) before its next checkpoint write.
		eventually(t, 30*time.Second, "the woken leader to find its lease of "+topic+" lost", func() bool {
			for _, line := range strings.Split(leader.out.String(), "\n") {
				if strings.Contains(line, "topic lease lost") && strings.Contains(line, topic) {
					return true
				}
			}
			return false
		}, leader, other)
		w.steadyAfter(t, tip)
		eventually(t, 30*time.Second, "one open stream per topic after the old leader woke", func() bool {
			open := map[string]int{}
			for _, s := range w.pubsub.snapshot() {
				if s.closed.IsZero() {
					open[s.topic]++
				}
			}
			for _, n := range open {
				if n > 1 {
					return false
				}
			}
			return true
		}, leader, other)
		if late := w.mon.writesUnder(topic, stale.token, woken); len(late) > 0 {
			t.Errorf("I4: %d checkpoint writes under the paused leader's token %d were accepted after it woke", len(late), stale.token)
		}
		w.finish(t, checkOptions{faultCleared: woken})
	})

	scenarios.wait()

	// F29: the randomised soak, only on request (SFCDC_SOAK=1), alone.
	if d, ok := soakFromEnv(t); ok {
		t.Run("soak", func(t *testing.T) { soak(t, d) })
	}
}

// faultScenariosAtOnce is how many scenarios of the catalogue run at the
// same time. Each has its own simulators, Redis key prefix (or private
// redis-server), processes and ports, so they are independent; most of a
// scenario's time is spent waiting (leases, backoffs, the daemon's start),
// so a few run side by side even on a shared 2-core machine; not more
// than 2, since make test runs other packages beside this one and I2's
// duplicates grow with a daemon that falls behind (with 4 at once, a
// crash re-sent 216-226 comments against the bound 150 twice at -p 3 on
// a loaded machine; alone, none).
const faultScenariosAtOnce = 2

// scenarioRunner runs subtests of t at most n at a time. Unlike
// t.Parallel, its bound does not depend on go test's -parallel (GOMAXPROCS
// by default: 2 on the project's machine, too few for scenarios that
// mostly wait). Scenarios start in the order they are given, so the
// longest are listed first.
type scenarioRunner struct {
	t     *testing.T
	slots chan struct{}
	wg    sync.WaitGroup
}

func newScenarioRunner(t *testing.T, n int) *scenarioRunner {
	return &scenarioRunner{t: t, slots: make(chan struct{}, n)}
}

// run waits for a free slot, then runs the subtest in its own goroutine
// (t.Run may be called from several goroutines at once).
func (r *scenarioRunner) run(name string, scenario func(t *testing.T)) {
	r.slots <- struct{}{}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-r.slots }()
		r.t.Run(name, scenario)
	}()
}

// wait returns once every scenario started has ended; the test function
// must not return before (t.Run's rule for concurrent subtests).
func (r *scenarioRunner) wait() { r.wg.Wait() }

// awaitStreaming waits until CM holds comments streamed by p, so the
// fault lands on a busy stream.
func (w *faultWorld) awaitStreaming(t *testing.T, p *faultProc) {
	t.Helper()
	eventually(t, 30*time.Second, "streamed comments in CM", func() bool { return w.commentCount() >= 30 }, p)
}

// steadyAfter lets the traffic run on after the fault cleared (tip: the
// bus's newest event then) until every topic's checkpoint has passed tip,
// so the recovered daemon (or the instance that took over) is shown
// streaming and checkpointing live changes, not only catching up; and at
// least steadyEvents more events are on the bus. It waits on that
// condition, not for a fixed amount of traffic: a daemon that does not
// resume fails it, one that resumes at once is not kept waiting.
func (w *faultWorld) steadyAfter(t *testing.T, tip uint64) {
	t.Helper()
	eventually(t, 30*time.Second, "live traffic after the fault checkpointed on every topic", func() bool {
		newest := w.tip()
		if newest < tip+steadyEvents {
			return false
		}
		for _, topic := range faultTopics {
			// Above newest is no replay ID the bus issued: an operator's
			// bogus value (invalid-replay-id), not the daemon's progress.
			if cp, ok := w.mon.current(topic); !ok || cp.replay <= tip || cp.replay > newest {
				return false
			}
		}
		return true
	}, w.running()...)
}

// steadyEvents is the least traffic steadyAfter waits for after a fault:
// half a second of faultRate, so each topic has live changes to stream.
const steadyEvents = faultRate / 2

// awaitHolder waits until topic's status names a holder that is running
// (want, when not empty) and streaming, and returns its name.
func (w *faultWorld) awaitHolder(t *testing.T, topic, want string, procs ...*faultProc) string {
	t.Helper()
	var holder string
	eventually(t, 30*time.Second, "a streaming holder of "+topic+" "+want, func() bool {
		st, err := w.store.Status(context.Background(), w.sim.Org.ID(), topic)
		if errors.Is(err, replay.ErrNotFound) || err != nil {
			return false
		}
		holder = st.Holder
		return st.State == replay.StateStreaming && (want == "" || holder == want)
	}, procs...)
	return holder
}
