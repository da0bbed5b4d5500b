package demo

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Options are what a demo run streams and where it keeps its state.
type Options struct {
	// Events is how many change events each pass streams (at least 1).
	Events int
	// Seed fixes the simulated org and its traffic.
	Seed uint64
	// RedisURL is the Redis to keep the state in; when it is empty, Redis
	// at DefaultRedisURL if one answers there, else the embedded store.
	RedisURL string
	// DefaultRedisURL replaces the package's DefaultRedisURL (a machine
	// whose Redis is elsewhere, or a test that needs none to answer).
	DefaultRedisURL string
	// Replay streams the same traffic a second time from a reset
	// checkpoint and reports that second pass.
	Replay bool
	// Observer, if not nil, is told about the run as it goes.
	Observer Observer
}

// Observer follows a run for a person. Its methods are called from Run's
// goroutine only, one at a time.
type Observer interface {
	// Note is a line about the run: the store chosen, a pass starting.
	Note(line string)
	// Live is the progress of the current pass so far; lag is the age of
	// its oldest event not done.
	Live(r Result, lag time.Duration)
	// PassDone is a pass's final figures ("pass 1", "replay"), also of a
	// pass that an interrupt stopped (r.Interrupted).
	PassDone(title string, r Result)
}

// Run streams the demo's traffic through the pipeline and returns the
// figures of its last pass. When ctx ends first the result holds the
// figures so far, Interrupted is set and the error is ctx's.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Events < 1 {
		return Result{}, fmt.Errorf("run the demo: %d events: want a positive number", o.Events)
	}
	store, err := openDemoStore(ctx, o.RedisURL, o.DefaultRedisURL)
	if err != nil {
		return Result{}, err
	}
	defer store.close()
	note(o.Observer, "state: %s", store.desc)

	active := &atomic.Pointer[latencies]{}
	cm, err := startDemoCM(active)
	if err != nil {
		return Result{}, err
	}
	defer cm.Close()
	steps := &stepTimes{}
	note(o.Observer, "streaming %d events (seed %d) through the pipeline …", o.Events, o.Seed)
	note(o.Observer, "%s", LiveLegend)
	pass := demoPass{events: o.Events, seed: o.Seed, store: store.store, cm: cm, steps: steps, replaySafe: o.Replay, observer: o.Observer,
		latencies: active}
	res, err := finishPass(o, "pass 1", store.kind)(runDemoPass(ctx, pass))
	if err != nil || !o.Replay {
		return res, err
	}
	if err := resetDemoCheckpoints(ctx, store.store, res.org); err != nil {
		return res, err
	}
	note(o.Observer, "replaying the same %d events from a reset checkpoint …", res.Events)
	pass.replay = true
	return finishPass(o, "replay", store.kind)(runDemoPass(ctx, pass))
}

// finishPass completes a pass's result (store, peak RSS) and shows it,
// also when an interrupt stopped the pass; any other failure is only
// returned.
func finishPass(o Options, title, storeKind string) func(Result, error) (Result, error) {
	return func(r Result, err error) (Result, error) {
		if err != nil && !r.Interrupted {
			return r, err
		}
		r.Store = storeKind
		r.PeakRSSMB = PeakRSSMB()
		if o.Observer != nil {
			o.Observer.PassDone(title, r)
		}
		return r, err
	}
}

func note(o Observer, format string, args ...any) {
	if o != nil {
		o.Note(fmt.Sprintf(format, args...))
	}
}

// LiveLegend says what the live line's figures are; every one of them
// only grows.
const LiveLegend = "live line: events generated, events done (checkpointed: CM holds what each asked for) and done per second | " +
	"comments new, updated (text, billed), updated (metadata only, free), not sent (unchanged since the last upload), deleted | " +
	"billable units (new + text updates) | lag (age of the oldest event not done)"

// ErrStalled is returned when the pipeline stops making progress.
var ErrStalled = errors.New("the pipeline made no progress for 60 s")
