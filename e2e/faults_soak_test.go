package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// soakFromEnv returns the soak's duration when SFCDC_SOAK=1 asks for it
// (SFCDC_SOAK_DURATION, default 10m), and false otherwise: the soak is
// not part of `make test`.
func soakFromEnv(t *testing.T) (time.Duration, bool) {
	if os.Getenv("SFCDC_SOAK") != "1" {
		return 0, false
	}
	d := 10 * time.Minute
	if v := os.Getenv("SFCDC_SOAK_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SFCDC_SOAK_DURATION=%q: want a duration such as 15m", v)
		}
	}
	return d, true
}

// soak (F29) runs two instances under traffic while a seeded nemesis
// injects a random fault of the catalogue every few seconds: SIGKILL and
// restart, a pause past the lease, a Redis restart, stream ends,
// connection resets, token revocation, CM 429/503/time-outs and REST
// 503s. The checker then judges the whole history at once. The seed is
// logged (SFCDC_SOAK_SEED replays a run's sequence of faults).
func soak(t *testing.T, duration time.Duration) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("SFCDC_SOAK_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("soak for %s with SFCDC_SOAK_SEED=%d", duration, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	w := newFaultWorld(t, worldOptions{privateRedis: true})
	w.startTraffic()
	live := []*faultProc{w.startRun("soak-0", ""), w.startRun("soak-1", "")}
	started := 2
	faults := map[string]int{}
	end := time.Now().Add(duration)
	for time.Now().Before(end) {
		time.Sleep(time.Duration(2000+rng.IntN(3000)) * time.Millisecond) // the nemesis's pace
		for _, p := range live {
			if !p.running() {
				t.Fatalf("%s exited by itself (%v):\n%s", p.name, p.cmd.ProcessState, tail(p.out.String()))
			}
		}
		switch f := rng.IntN(9); f {
		case 0:
			i := rng.IntN(len(live))
			live[i].kill()
			live[i] = w.startRun("soak-"+strconv.Itoa(started), "")
			started++
			faults["sigkill+restart"]++
		case 1:
			p := live[rng.IntN(len(live))]
			_ = p.cmd.Process.Signal(syscall.SIGSTOP)
			time.Sleep(faultLeaseTTL + time.Second) // the pause itself
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
			faults["pause>ttl"]++
		case 2:
			w.redis.stop(t)
			w.redis.start(t, "")
			faults["redis-restart"]++
		case 3:
			w.sim.Faults.Set(sfsim.FaultSettings{EndStreamAfterEvents: 1 + rng.IntN(50), Once: true})
			faults["stream-end"]++
		case 4:
			w.pubsub.resetAll()
			faults["connection-reset"]++
		case 5:
			w.sim.Tokens.RevokeAll()
			faults["token-revoked"]++
		case 6:
			w.cm.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 429, RetryAfter: "1", Times: 1 + rng.IntN(3)})
			faults["cm-429"]++
		case 7:
			if rng.IntN(2) == 0 {
				w.cm.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, AcceptThenTimeout: true, Times: 1 + rng.IntN(3)})
				faults["cm-timeout"]++
			} else {
				w.cm.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 503, Times: 1 + rng.IntN(3)})
				faults["cm-503"]++
			}
		case 8:
			w.sim.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1 + rng.IntN(5)})
			faults["rest-503"]++
		}
	}
	total := 0
	for _, n := range faults {
		total += n
	}
	t.Logf("soak injected %d faults: %v", total, faults)
	w.sim.Faults.Set(sfsim.FaultSettings{})
	w.finish(t, checkOptions{maxDuplicates: defaultMaxDuplicates * total})
}
