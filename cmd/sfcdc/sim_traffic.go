package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
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
	gate      sfsim.TrafficGate
	generated atomic.Int64
	// mode is "rate" (generating until interrupted), "events" (generating
	// --events), "done" (--events generated), "off" (--rate 0).
	mode atomic.Value
}

// Traffic states the admin endpoint reports.
const (
	trafficRunning = "running"
	trafficPaused  = "paused"
	trafficDone    = "done"
	trafficOff     = "off"
)

// newSimTraffic is the traffic the flags ask for, not started yet.
func newSimTraffic(f simFlags) *simTraffic {
	tr := &simTraffic{}
	switch {
	case f.events > 0:
		tr.mode.Store("events")
	case f.rate > 0:
		tr.mode.Store("rate")
	default:
		tr.mode.Store(trafficOff)
	}
	return tr
}

// generate starts the activity generator: --events N generates
// exactly N events as fast as possible, whatever --rate says, and stops
// generating (the org keeps serving); otherwise --rate events per second
// until interrupted. A failed --events run ends the command; an error of
// the --rate generator is reported on standard error and stops only it.
// The generator forgets what the bus no longer holds (retain events after
// it leaves the working set), so memory stays flat however long it runs.
func (tr *simTraffic) generate(cmd *cobra.Command, s *sfsim.Sim, f simFlags) error {
	gen := sfsim.NewGenerator(s.Org, f.seed)
	gen.Gate = &tr.gate
	gen.OnCommit = func(c sfsim.Commit) { tr.generated.Add(int64(len(c.Events))) }
	if f.retainEvents > 0 {
		gen.SetWorkingSet(simWorkingSet, uint64(f.retainEvents))
	}
	ctx := cmd.Context()
	switch {
	case f.events > 0:
		n, err := gen.Generate(ctx, f.events)
		tr.mode.Store(trafficDone)
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("generate %d events: %w", f.events, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "generated %d events; serving until interrupted\n", n)
	case f.rate > 0:
		go func() {
			if err := gen.Run(ctx, f.rate); err != nil {
				tr.mode.Store(trafficDone)
				fmt.Fprintln(cmd.ErrOrStderr(), "sfcdc sim: generator stopped:", err)
			}
		}()
	}
	return nil
}

// trafficStatus is the answer of the traffic endpoints.
type trafficStatus struct {
	// State is running, paused, done (--events generated, or the generator
	// failed) or off (--rate 0).
	State string `json:"state"`
	// Generated is how many change events the generator appended so far.
	Generated int64 `json:"generated_events"`
}

func (tr *simTraffic) status() trafficStatus {
	st := trafficStatus{State: trafficRunning, Generated: tr.generated.Load()}
	switch mode, _ := tr.mode.Load().(string); {
	case mode == trafficDone || mode == trafficOff:
		st.State = mode
	case tr.gate.Paused():
		st.State = trafficPaused
	}
	return st
}

// routes adds GET /_sim/traffic, POST /_sim/traffic/pause and POST
// /_sim/traffic/resume. Pause answers once the generator is between
// activities: no generated event follows the answer until a resume.
func (tr *simTraffic) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/traffic", func(w http.ResponseWriter, _ *http.Request) {
		writeSimJSON(w, tr.status())
	})
	mux.HandleFunc("POST /_sim/traffic/pause", func(w http.ResponseWriter, r *http.Request) {
		if err := tr.gate.Pause(r.Context()); err != nil {
			return // the caller left
		}
		writeSimJSON(w, tr.status())
	})
	mux.HandleFunc("POST /_sim/traffic/resume", func(w http.ResponseWriter, _ *http.Request) {
		tr.gate.Resume()
		writeSimJSON(w, tr.status())
	})
}

func writeSimJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
