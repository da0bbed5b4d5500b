package backfill_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// A one-shot run in an org that keeps changing (the generator at 200
// events/s, and emails updated after every page so that each pass would
// find new rows) reads up to the instant it began, in one pass, and
// stops: it used to query pass after pass, re-reading the overlap each
// time, for as long as the traffic lasted. What changed during the run is
// read by the next one, which brings CM up to date.
func TestAOneShotRunUnderSteadyTrafficEndsAfterOnePass(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	const seeded = 5_000 // three pages of 2,000: room to chase the changes made after each
	ids := seedEmails(t, w.Sim.Org, seeded, 100)

	traffic, stopTraffic := context.WithCancel(context.Background())
	generated := make(chan error, 1)
	// 50 events/s (it was 200): traffic that never pauses while the run
	// reads, on top of the 20 emails changed after every page below, which
	// alone would keep a run that chases changes from ending. The
	// generator's cost under -race grows with the test's duration, which
	// grows with the machine's load.
	go func() { generated <- sfsim.NewGenerator(w.Sim.Org, 3).Run(traffic, 50) }()
	updates := 0
	s := setup{progress: func(p backfill.Progress) {
		if p.Phase != backfill.PhaseReading {
			return
		}
		for range 20 {
			id := ids[updates%len(ids)]
			if err := w.Sim.Org.Update(id, sfsim.Values{"TextBody": fmt.Sprintf("Update %d while the run reads.", updates)}); err != nil {
				t.Error(err)
			}
			updates++
		}
	}}
	// A run that chases the traffic never ends: cut it, and fail below.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	callsBefore := w.Salesforce.Stats().RESTCalls
	sum, err := w.backfill(t, s).Run(ctx, backfill.Request{})
	calls := w.Salesforce.Stats().RESTCalls - callsBefore
	if err != nil {
		t.Fatalf("the run under traffic: %v (after %d passes)", err, sum.Objects[0].Passes)
	}
	o := sum.Objects[0]
	if o.Passes != 1 {
		t.Errorf("the run made %d passes; want one, up to the instant it began", o.Passes)
	}
	if o.Read < seeded {
		t.Errorf("the run read %d records after the watermark, want at least the %d seeded", o.Read, seeded)
	}
	t.Logf("one pass: %d records read, %d rechecked, %d REST calls; %d emails updated while it read", o.Read, o.Rechecked, calls, updates)
	if perThousand := float64(calls) * 1000 / float64(o.Read+o.Rechecked); perThousand > 1.1 {
		t.Errorf("the run cost %d REST calls for %d records read, %.2f per 1,000; want at most 1.1", calls, o.Read+o.Rechecked, perThousand)
	}

	stopTraffic()
	if err := <-generated; err != nil {
		t.Fatal(err)
	}
	if _, err := w.backfill(t, setup{}).Run(context.Background(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatalf("after the next run: %v", err)
	}
}

// In follow mode each poll is one pass up to the instant it began, even
// when records change after every page it reads: the changes are the next
// poll's. The first poll used to chase them and never reach the second.
func TestEachPollOfFollowModeIsOnePassUnderSteadyChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{DailyAPILimit: 1_000_000})
	ids := seedEmails(t, w.Sim.Org, 1_000, 100)
	updates := 0
	polls := 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := setup{
		cfg: backfill.Config{PageSize: 200},
		progress: func(p backfill.Progress) {
			if p.Phase != backfill.PhaseReading {
				return
			}
			for range 5 {
				if err := w.Sim.Org.Update(ids[updates%len(ids)], sfsim.Values{"TextBody": fmt.Sprintf("Changed again (%d).", updates)}); err != nil {
					t.Error(err)
				}
				updates++
			}
		},
		sleep: func(ctx context.Context, _ time.Duration) error {
			if polls++; polls == 3 {
				cancel()
			}
			return ctx.Err()
		},
	}
	sum, err := w.backfill(t, s).Run(ctx, backfill.Request{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if polls < 3 {
		t.Fatalf("follow mode waited %d times before its context ended; want 3 polls", polls)
	}
	if o := sum.Objects[0]; o.Passes != 3 {
		t.Errorf("three polls made %d passes; want one each", o.Passes)
	}
}
