package demo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/checkpoint"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// The demo's CM source and its objects.
const (
	demoProject = "sfcdc-demo"
	demoSource  = "support"
)

// demoTopic carries every object's changes: one worker, one uploader, so
// comments of all objects share CM requests (and one checkpoint says how far
// the pipeline is).
const demoTopic = sfsim.AllChangeEventsChannel

var demoObjects = []mapper.ObjectMapping{
	{Object: "EmailMessage", Topic: demoTopic}, {Object: "Case", Topic: demoTopic}, {Object: "Task", Topic: demoTopic}}

// Memory bounds. The generator runs at most demoMaxAhead events ahead of
// the slowest topic's checkpoint; the bus keeps only events not yet
// checkpointed; the org forgets a record that left the generator's working
// set demoForgetDelay events later — more than demoMaxAhead, so every
// change of it was processed (fetched) by then.
const (
	demoMaxAhead    = 3000
	demoForgetDelay = demoMaxAhead + 1000
	demoWorkingSet  = 256
	demoPoll        = 10 * time.Millisecond
	// demoLinger bounds how long a CM batch that is not full waits. Above
	// a few thousand events/s batches fill (demoBatchBytes) well before it;
	// below, it is what keeps requests under 5 per 1,000 comments, at the
	// cost of latency.
	demoLinger = 500 * time.Millisecond
	// demoBatchBytes is the CM request size: about 350 comments (under 3
	// requests per 1,000 comments), small enough that batches fill fast and
	// the checkpoint, which waits for them, stays close.
	demoBatchBytes = 1 << 20
	// demoInFlight must hold more than two full CM requests' events, or
	// the uploader never fills one and every request waits for the linger
	// (the in-flight cap over the linger would cap the throughput).
	demoInFlight = 4000
	// demoDeleteLinger bounds how long a delete batch waits. Deletes are
	// about 2% of the changes, so a delete batch (100 IDs) never fills in
	// time and a delete waits for the whole linger — and the checkpoint,
	// which the generator may run at most demoMaxAhead events ahead of,
	// waits with it: events/s ≤ demoMaxAhead / (commit to checkpoint). At
	// demoLinger that wait alone capped the demo near 10,000 events/s.
	// Each linger can cost a CM request (about 20 per second of run at
	// this value), which the 5-requests-per-1,000-comments budget affords
	// down to about 8,000 events/s. Measured on 100,000 events (quiet
	// machine): window 5,000 with 100 ms/40 ms lingers 13-15k events/s,
	// p50 190 ms; window 3,000 with 50 ms/25 ms 16-19k events/s, p50 60-75
	// ms — the smaller window also leaves the collector less to mark.
	demoDeleteLinger = 50 * time.Millisecond
	// demoFetchLinger lets REST fetches collect record IDs. Fetched
	// records are the working set's few hundred open cases, so a batch
	// seldom reaches the 200 IDs that send it early and this wait holds
	// the checkpoint like the delete linger does; at this value a 100,000
	// event run still needs only a few REST calls per 1,000 fetches.
	demoFetchLinger = 25 * time.Millisecond
	demoStallAfter  = 60 * time.Second
	// demoDrainWait bounds the wait for the pipeline to drain after an
	// interrupt, before the summary so far is printed.
	demoDrainWait = 10 * time.Second
)

// demoPass is one run of the traffic through a fresh simulated org.
type demoPass struct {
	events int
	seed   uint64
	store  replay.Store
	cm     *commsmining.Server
	steps  *stepTimes
	replay bool // replay the step times of the first pass
	// replaySafe generates traffic without deletes and description edits
	// (both passes of --replay; see Generator.SetReplaySafe).
	replaySafe bool
	observer   Observer
	// latencies is the current pass's latency tracker, which the CM
	// simulator's receipts reach (the simulator outlives a pass); one per
	// Run, so demos running at once in one process measure only their own.
	latencies *atomic.Pointer[latencies]
}

// stepClock is the simulated org's clock: frozen during each generator
// step at that step's time, so that a pass replaying the first pass's
// step times produces byte-identical records and events.
type stepClock struct{ ns atomic.Int64 }

func (c *stepClock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *stepClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// stepTimes are the first pass's step times.
type stepTimes struct{ at []time.Time }

func startDemoCM(active *atomic.Pointer[latencies]) (*commsmining.Server, error) {
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{demoProject + "/" + demoSource}, Lean: true,
		OnReceipt: func(r commsmining.Receipt) {
			if l := active.Load(); l != nil {
				l.received(r.CommentID, r.At)
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("start the simulated CM: %w", err)
	}
	return cm, nil
}

// demoSpec is the demo's integration: the simulated org's objects into the
// simulated CM's source, every topic started at EARLIEST, nothing polled.
// The upload and flush settings are the demo's throughput tuning (see the
// constants above).
func demoSpec(sim *sfsim.Sim, cm *commsmining.Server) integration.Spec {
	detect := false
	return integration.Spec{
		Salesforce: integration.Salesforce{PubSubEndpoint: sim.PubSub.Addr(), Insecure: true,
			AccessToken: sim.AccessToken, InstanceURL: sim.InstanceURL, TenantID: sim.Org.ID()},
		CommsMining: uploader.Config{BaseURL: cm.URL(), Token: uploader.Secret(cm.Token()), Project: demoProject, Source: demoSource,
			Linger: demoLinger, DeleteLinger: demoDeleteLinger, MaxBatchComments: 4096, MaxBatchBytes: demoBatchBytes},
		Objects: demoObjects,
		// A shutdown grace of 60 s keeps the drain of uploads at 30 s.
		Run: integration.Run{Start: "earliest", Holder: "sfcdc-demo", FlushInterval: 25 * time.Millisecond, DetectPolling: &detect,
			ShutdownGrace: 60 * time.Second},
	}
}

// simCreds hands out the simulator's session and mints a new token when
// one is rejected.
type simCreds struct {
	sim *sfsim.Sim
	mu  sync.Mutex
	cur salesforce.Session
}

func (c *simCreds) Current(context.Context) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, nil
}

func (c *simCreds) Refresh(_ context.Context, rejected salesforce.Session) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rejected.AccessToken == c.cur.AccessToken {
		c.cur.AccessToken = c.sim.Tokens.Issue()
	}
	return c.cur, nil
}

// demoProgress is what the pass knows about the pipeline's progress.
type demoProgress struct {
	mu      sync.Mutex
	last    map[string]uint64 // topic → replay ID of its newest event
	traffic Traffic
	commits []commitMark  // commit wall times, oldest first, trimmed as checkpoints pass
	low     atomic.Uint64 // every event up to here is checkpointed
	first   atomic.Uint64 // replay ID of the first event (0: none yet)
	// appended counts the events generated; the generator adds a step's
	// events only after OnCommit counted them in traffic.
	appended atomic.Int64
}

// done is how many events are checkpointed (the bus's IDs are contiguous).
func (p *demoProgress) done() int64 {
	first, low := p.first.Load(), p.low.Load()
	if first == 0 || low < first {
		return 0
	}
	return int64(low - first + 1)
}

type commitMark struct {
	replayID uint64
	at       time.Time
}

func runDemoPass(ctx context.Context, p demoPass) (Result, error) {
	clock := &stepClock{}
	if p.replay && len(p.steps.at) > 0 {
		clock.set(p.steps.at[0])
	} else {
		clock.set(time.Now())
	}
	sim, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: p.seed}, PubSub: sfsim.PubSubConfig{Insecure: true}, Clock: clock})
	if err != nil {
		return Result{}, err
	}
	defer sim.Close()
	org := sim.Org.ID()
	creds := &simCreds{sim: sim, cur: salesforce.Session{AccessToken: sim.AccessToken, InstanceURL: sim.InstanceURL, TenantID: org}}
	eng, err := engine.New(demoSpec(sim, p.cm), engine.Deps{Store: p.store, Logger: slog.New(slog.DiscardHandler), Credentials: creds,
		Tuning: engine.Tuning{FetchLinger: demoFetchLinger, MaxInFlightEvents: demoInFlight}})
	if err != nil {
		return Result{}, err
	}
	defer eng.Close()
	topicOf := map[string]string{}
	for _, om := range demoObjects {
		topicOf[om.Object] = om.Topic
	}

	prog := &demoProgress{last: map[string]uint64{}}
	lat := newLatencies()
	p.latencies.Store(lat)
	defer p.latencies.Store(nil)
	cmBefore := p.cm.Stats()

	runCtx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- eng.Run(runCtx) }()

	g := sfsim.NewGenerator(sim.Org, p.seed)
	g.SetWorkingSet(demoWorkingSet, demoForgetDelay)
	g.SetReplaySafe(p.replaySafe)
	g.OnCommit = func(c sfsim.Commit) { prog.committed(c, topicOf, lat) }
	genDone := make(chan error, 1)
	start := time.Now()
	go func() { genDone <- generate(runCtx, g, sim.Bus, clock, p, prog) }()

	result := func() Result {
		r := Result{Events: int(prog.appended.Load()), EventsDone: prog.done(), Seed: p.seed, Replay: p.replay, org: org}
		st := p.cm.Stats()
		for e, n := range st.Requests {
			r.CMRequests += n - cmBefore.Requests[e]
		}
		prog.mu.Lock()
		r.Traffic = prog.traffic
		prog.mu.Unlock()
		r.demoOutcome(eng.Snapshot(), st, cmBefore)
		used, _ := sim.REST.APIUsage()
		r.RESTCalls = int64(used)
		r.Seconds = time.Since(start).Seconds()
		r.EventsPerSec = float64(r.Events) / r.Seconds
		if p50, p99, ok := lat.percentiles(); ok {
			r.P50LatencyMS, r.P99LatencyMS = &p50, &p99
		}
		return r
	}
	// interrupted stops the pipeline and the generator and returns the
	// figures so far: after the drain, every outcome CM answered is
	// counted.
	interrupted := func() (Result, error) {
		stopDaemon()
		waitDemo(daemonDone, genDone)
		// The drain may have moved the checkpoint: read it once more.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, _ = prog.poll(pctx, p.store, org, sim.Bus)
		cancel()
		r := result()
		r.Interrupted = true
		return r, ctx.Err()
	}

	tick := time.NewTicker(demoPoll)
	defer tick.Stop()
	lastShow, lastMove, lastLow := time.Now(), time.Now(), uint64(0)
	generated := false
	for {
		select {
		case <-ctx.Done():
			return interrupted()
		case err := <-daemonDone:
			if ctx.Err() != nil {
				daemonDone <- err // for interrupted's wait
				return interrupted()
			}
			if err == nil {
				err = errors.New("the pipeline stopped early")
			}
			return Result{}, fmt.Errorf("demo pipeline: %w", err)
		case err := <-genDone:
			if err != nil {
				return Result{}, err
			}
			generated = true
			genDone = nil
		case <-tick.C:
		}
		done, err := prog.poll(ctx, p.store, org, sim.Bus)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted()
			}
			return Result{}, err
		}
		if low := prog.low.Load(); low != lastLow {
			lastLow, lastMove = low, time.Now()
		} else if time.Since(lastMove) > demoStallAfter {
			return Result{}, fmt.Errorf("%w (%d of %d events generated, %d retained on the bus)", ErrStalled, prog.appended.Load(), p.events, sim.Bus.Retained())
		}
		if generated && done {
			break
		}
		if time.Since(lastShow) >= 500*time.Millisecond {
			lastShow = time.Now()
			if p.observer != nil {
				p.observer.Live(result(), prog.lag())
			}
		}
	}
	r := result()
	stopDaemon()
	select {
	case err := <-daemonDone:
		if err != nil && !errors.Is(err, context.Canceled) {
			return r, fmt.Errorf("demo pipeline shutdown: %w", err)
		}
	case <-time.After(30 * time.Second):
		return r, errors.New("demo pipeline did not shut down within 30 s")
	}
	return r, nil
}

// waitDemo waits, at most demoDrainWait in all, for the pipeline (which
// drains its uploads) and the generator (nil: already done) to stop.
func waitDemo(daemonDone <-chan error, genDone <-chan error) {
	deadline := time.After(demoDrainWait)
	for daemonDone != nil || genDone != nil {
		select {
		case <-daemonDone:
			daemonDone = nil
		case <-genDone:
			genDone = nil
		case <-deadline:
			return
		}
	}
}

// generate runs the generator until exactly p.events events were appended,
// never more than demoMaxAhead events ahead of the checkpoints.
func generate(ctx context.Context, g *sfsim.Generator, bus *sfsim.Bus, clock *stepClock, p demoPass, prog *demoProgress) error {
	for i := 0; prog.appended.Load() < int64(p.events); i++ {
		if ctx.Err() != nil {
			return nil
		}
		for bus.Tip()-prog.low.Load() > demoMaxAhead {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Microsecond):
			}
		}
		if p.replay {
			if i >= len(p.steps.at) {
				return fmt.Errorf("replay: the first pass had %d steps, this one needs more: the traffic differs", len(p.steps.at))
			}
			clock.set(p.steps.at[i])
		} else {
			now := time.Now()
			p.steps.at = append(p.steps.at, now)
			clock.set(now)
		}
		var k int
		var err error
		// Near the end only steps that fit, so the count is exact.
		left := int64(p.events) - prog.appended.Load()
		k, err = g.StepAtMost(int(min(left, math.MaxInt32)))
		if err != nil {
			return fmt.Errorf("generate traffic: %w", err)
		}
		prog.appended.Add(int64(k))
	}
	return nil
}

// committed records a commit's events: the traffic by kind, the newest
// event per topic, and the start of each record change's latency.
func (p *demoProgress) committed(c sfsim.Commit, topicOf map[string]string, lat *latencies) {
	now := time.Now()
	if len(c.Events) > 0 {
		p.first.CompareAndSwap(0, c.Events[0].ReplayID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range c.Events {
		h := ev.Header
		topic, mapped := topicOf[h.EntityName]
		p.traffic.count(h, mapped)
		if !mapped {
			// The all-changes channel carries it to the pipeline too: the
			// bus must keep it until the checkpoint passes it.
			p.last[demoTopic] = ev.ReplayID
			continue
		}
		p.last[topic] = ev.ReplayID
		switch h.ChangeType {
		case sfsim.ChangeCreate, sfsim.ChangeUpdate, sfsim.ChangeUndelete:
			for _, id := range h.RecordIDs {
				lat.changed(mapper.CommentID(h.EntityName, id), now)
			}
		case sfsim.ChangeDelete:
			for _, id := range h.RecordIDs {
				lat.deleted(mapper.CommentID(h.EntityName, id))
			}
		}
	}
	if n := len(c.Events); n > 0 {
		p.commits = append(p.commits, commitMark{replayID: c.Events[n-1].ReplayID, at: now})
	}
}

// poll reads the checkpoints, advances low (every event up to it is done
// in every topic), trims the bus through it, and reports whether every
// event appended so far is done.
func (p *demoProgress) poll(ctx context.Context, store replay.Store, org string, bus *sfsim.Bus) (bool, error) {
	tip := bus.Tip() // first: every event up to tip is in last below
	p.mu.Lock()
	last := make(map[string]uint64, len(p.last))
	for t, id := range p.last {
		last[t] = id
	}
	p.mu.Unlock()
	low := tip
	for topic, id := range last {
		cp, err := store.Checkpoint(ctx, org, topic)
		var at uint64
		switch {
		case errors.Is(err, replay.ErrNotFound):
		case err != nil:
			return false, fmt.Errorf("read the %s checkpoint: %w", topic, err)
		case len(cp.ReplayID) == 8:
			at = binary.BigEndian.Uint64(cp.ReplayID)
		}
		if at < id {
			low = min(low, at)
		}

	}
	if low > p.low.Load() {
		p.low.Store(low)
		bus.TrimThrough(low)
		p.mu.Lock()
		n := 0
		for n < len(p.commits) && p.commits[n].replayID <= low {
			n++
		}
		p.commits = append(p.commits[:0], p.commits[n:]...)
		p.mu.Unlock()
	}
	return low == tip, nil
}

// lag is how long ago the oldest unfinished commit happened.
func (p *demoProgress) lag() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.commits) == 0 {
		return 0
	}
	return time.Since(p.commits[0].at)
}

// resetDemoCheckpoints forgets the topics' checkpoints, so the next pass
// streams its bus from the start while the content hashes stay.
func resetDemoCheckpoints(ctx context.Context, store replay.Store, org string) error {
	topics := map[string]bool{}
	for _, om := range demoObjects {
		topics[om.Topic] = true
	}
	for topic := range topics {
		lease, err := checkpoint.Acquire(ctx, store, org, topic, checkpoint.Holder("sfcdc-demo-reset"))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		err = checkpoint.Reset(ctx, store, lease)
		_ = store.ReleaseLease(ctx, lease)
		if err != nil {
			return fmt.Errorf("replay: reset the %s checkpoint: %w", topic, err)
		}
	}
	return nil
}
