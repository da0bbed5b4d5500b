package serve_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// checkpointWatch polls the checkpoint of every (integration, org, topic)
// every 20 ms until the test ends and records every step back: a replay ID
// lower than one seen before (events acknowledged twice, or lost) or a
// fencing token lower than one seen before (a stale writer's checkpoint
// accepted, i.e. two writers of one unit).
type checkpointWatch struct {
	mu         sync.Mutex
	last       map[string]observed
	writes     int
	violations []string
}

type observed struct{ replay, token uint64 }

// watchedTopic is one unit's checkpoint: the integration's scope, its org
// and the topic.
type watchedTopic struct{ integration, org, topic string }

func watchCheckpoints(t *testing.T, store replay.Store, topics []watchedTopic) *checkpointWatch {
	w := &checkpointWatch{last: map[string]observed{}}
	scoped := map[string]replay.Store{}
	for _, wt := range topics {
		if scoped[wt.integration] == nil {
			scoped[wt.integration] = replay.NewScoped(store, wt.integration)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, wt := range topics {
				cp, err := scoped[wt.integration].Checkpoint(ctx, wt.org, wt.topic)
				if err == nil {
					w.see(wt, cp)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *checkpointWatch) see(wt watchedTopic, cp replay.Checkpoint) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := wt.integration + " " + wt.topic
	if len(cp.ReplayID) != 8 {
		w.violations = append(w.violations, fmt.Sprintf("%s: replay ID %x is not one the simulated bus issued", key, cp.ReplayID))
		return
	}
	now := observed{replay: binary.BigEndian.Uint64(cp.ReplayID), token: cp.Token}
	prev, ok := w.last[key]
	if ok && prev == now {
		return
	}
	if ok && now.replay < prev.replay {
		w.violations = append(w.violations, fmt.Sprintf("%s: checkpoint went back from replay %d to %d", key, prev.replay, now.replay))
	}
	if ok && now.token < prev.token {
		w.violations = append(w.violations, fmt.Sprintf("%s: a checkpoint under fencing token %d replaced one under %d: a stale writer was accepted", key, now.token, prev.token))
	}
	w.last[key] = now
	w.writes++
}

// check fails the test on any violation, and on a watch that saw nothing.
func (w *checkpointWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range w.violations {
		t.Error(v)
	}
	if w.writes == 0 {
		t.Error("the checkpoint watch saw no checkpoint at all")
	}
}

// receipts counts what CM's sync answered per comment of each source.
type receipts struct {
	mu sync.Mutex
	by map[string]map[string]int // source → result → count
}

func newReceipts() *receipts { return &receipts{by: map[string]map[string]int{}} }

func (r *receipts) note(rc commsmining.Receipt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.by[rc.Source]
	if m == nil {
		m = map[string]int{}
		r.by[rc.Source] = m
	}
	m[rc.Result]++
}

// total adds up one result over every source.
func (r *receipts) total(result string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.by {
		n += m[result]
	}
	return n
}
