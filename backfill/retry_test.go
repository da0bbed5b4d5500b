package backfill_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// waits records the waits of Options.Sleep without spending them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func TestSalesforceServerErrorsAreRetriedWithGrowingWaitsAndTheRunCompletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{})
	seedEmails(t, w.Sim.Org, 500, 100)
	w.Sim.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 3})
	rec := &waits{}
	if _, err := w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}, sleep: rec.sleep}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if len(rec.d) != 3 || rec.d[0] < 500*time.Millisecond || rec.d[2] <= rec.d[0] {
		t.Fatalf("waits %v, want three growing waits of at least half a second", rec.d)
	}
}

func TestPersistentSalesforceServerErrorsStopTheRunAfterBoundedRetries(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{})
	seedEmails(t, w.Sim.Org, 10, 10)
	w.Sim.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1000})
	rec := &waits{}
	_, err := w.backfill(t, setup{sleep: rec.sleep}).Run(context.Background(), backfill.Request{})
	if err == nil {
		t.Fatal("the run succeeded against a failing server")
	}
	if len(rec.d) != 5 {
		t.Fatalf("%d waits, want 5 (six attempts) before giving up", len(rec.d))
	}
}
