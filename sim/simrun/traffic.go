package simrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// simWorkingSet is how many open cases, live emails, live case comments and
// recycle-bin entries the generator of `sfcdc sim` keeps touching; older
// records go cold and, once the bus no longer holds an event about them,
// leave the org (see Generator.SetWorkingSet). Without it an hour at the
// default rate held half a gigabyte of records nobody would read again.
const simWorkingSet = 500

// simTraffic is the generated traffic of `sfcdc sim` and its switch: the
// admin endpoints pause and resume it, and report how far it got.
type simTraffic struct {
	// gates has one gate per org: a TrafficGate serves one generator
	// (Pause waits for that generator's running activity), and every org
	// has its own. The admin endpoints switch them all.
	gates     []sfsim.TrafficGate
	generated atomic.Int64
	// mode is "rate" (generating until interrupted), "events" (generating
	// Config.Events), "done" (those generated), "off" (no rate, no events).
	mode atomic.Value
}

// Traffic states the admin endpoint reports.
const (
	TrafficRunning = "running"
	TrafficPaused  = "paused"
	TrafficDone    = "done"
	TrafficOff     = "off"
)

// newSimTraffic is the traffic the configuration asks for, not started yet.
func newSimTraffic(c Config) *simTraffic {
	tr := &simTraffic{gates: make([]sfsim.TrafficGate, c.orgCount())}
	switch {
	case c.Events > 0:
		tr.mode.Store("events")
	case c.Rate > 0:
		tr.mode.Store("rate")
	default:
		tr.mode.Store(TrafficOff)
	}
	return tr
}

// Generate starts the activity generator of every org: Config.Events
// generates exactly that many events in each org as fast as possible,
// whatever Config.Rate says, and stops generating (the orgs keep serving),
// returning how many it generated in all; otherwise Config.Rate events per
// second in each org in the background until ctx ends (n is then 0), an
// error of one org's generator going to Config.OnGeneratorStopped and
// stopping only that generator. With neither it does nothing. The
// generator forgets what the bus no longer holds (retain events after it
// leaves the working set), so memory stays flat however long it runs.
func (r *Running) Generate(ctx context.Context) (n int, err error) {
	c, tr := r.config, r.traffic
	gens := make([]*sfsim.Generator, len(r.Orgs))
	for i, s := range r.Orgs {
		gen := sfsim.NewGenerator(s.Org, c.orgSeed(i))
		gen.Gate = &tr.gates[i]
		gen.OnCommit = func(c sfsim.Commit) { tr.generated.Add(int64(len(c.Events))) }
		if c.RetainEvents > 0 {
			gen.SetWorkingSet(simWorkingSet, uint64(c.RetainEvents))
		}
		gens[i] = gen
	}
	switch {
	case c.Events > 0:
		defer tr.mode.Store(TrafficDone)
		for i, gen := range gens {
			k, err := gen.Generate(ctx, c.Events)
			n += k
			if err != nil && !errors.Is(err, context.Canceled) {
				return n, fmt.Errorf("generate %d events in org %s: %w", c.Events, r.Orgs[i].Org.ID(), err)
			}
			if err != nil {
				return n, nil
			}
		}
		return n, nil
	case c.Rate > 0:
		for i, gen := range gens {
			go func() {
				if err := gen.Run(ctx, c.Rate); err != nil {
					tr.mode.Store(TrafficDone)
					if c.OnGeneratorStopped != nil {
						c.OnGeneratorStopped(fmt.Errorf("org %s: %w", r.Orgs[i].Org.ID(), err))
					}
				}
			}()
		}
	}
	return 0, nil
}

// TrafficStatus is the answer of the traffic endpoints.
type TrafficStatus struct {
	// State is running, paused, done (Config.Events generated, or the generator
	// failed) or off (neither a rate nor a number of events).
	State string `json:"state"`
	// Generated is how many change events the generator appended so far.
	Generated int64 `json:"generated_events"`
}

func (tr *simTraffic) status() TrafficStatus {
	st := TrafficStatus{State: TrafficRunning, Generated: tr.generated.Load()}
	switch mode, _ := tr.mode.Load().(string); {
	case mode == TrafficDone || mode == TrafficOff:
		st.State = mode
	case tr.gates[0].Paused():
		st.State = TrafficPaused
	}
	return st
}

// routes adds GET /_sim/traffic, POST /_sim/traffic/pause and POST
// /_sim/traffic/resume. Pause answers once every org's generator is
// between activities: no generated event follows the answer until a
// resume.
func (tr *simTraffic) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/traffic", func(w http.ResponseWriter, _ *http.Request) {
		writeSimJSON(w, tr.status())
	})
	mux.HandleFunc("POST /_sim/traffic/pause", func(w http.ResponseWriter, r *http.Request) {
		for i := range tr.gates {
			if err := tr.gates[i].Pause(r.Context()); err != nil {
				return // the caller left
			}
		}
		writeSimJSON(w, tr.status())
	})
	mux.HandleFunc("POST /_sim/traffic/resume", func(w http.ResponseWriter, _ *http.Request) {
		for i := range tr.gates {
			tr.gates[i].Resume()
		}
		writeSimJSON(w, tr.status())
	})
}

func writeSimJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
