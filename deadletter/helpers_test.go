package deadletter_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}

// world is the shared simulated world (its CM behind a gate that refuses
// marked comments with 422, as CM refuses an invalid one; the embedded
// store) and the Case mapping every retrier here uses.
type world struct {
	*simworld.World
	mapper *mapper.Mapper
}

func newWorld(t *testing.T) *world {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: []mapper.ObjectMapping{{Object: "Case"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &world{World: simworld.New(t, simworld.Options{Seed: 5}), mapper: m}
}

// retrierLeaseTTL is the retriers' lease TTL: short, so a standby takes
// over within the test; a second, since at 300 ms the holder's renewals
// (every TTL/3) missed the lease on a loaded 2-core machine and the
// standby began to work beside it.
const retrierLeaseTTL = time.Second

// retrier is a Retrier of the world's org on clock, after tune adjusted
// its configuration.
func (w *world) retrier(t *testing.T, holder string, clock deadletter.Clock, tune func(*deadletter.Config)) *deadletter.Retrier {
	t.Helper()
	fill, err := backfill.New(backfill.Config{}, backfill.Options{Salesforce: w.Salesforce, Mapper: w.mapper, Store: w.Store, Org: w.Org, Upload: w.Upload()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := deadletter.Config{Org: w.Org, Holder: holder, LeaseTTL: retrierLeaseTTL}
	if tune != nil {
		tune(&cfg)
	}
	r, err := deadletter.New(cfg, deadletter.Options{Store: w.Store, Records: w.Salesforce, Mapper: w.mapper, Upload: w.Upload(),
		Backfill: fill, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// running is a retrier's Run on its own goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, r *deadletter.Retrier) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	run := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	t.Cleanup(func() { run.stop(t) })
	return run
}

// stop cancels Run and waits for it; it is harmless twice.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run returned %v, want nil on cancellation", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the retrier did not stop within 20 s")
	}
}

// createCase makes a Case whose subject is subject and returns its ID.
func (w *world) createCase(t *testing.T, subject string) string {
	t.Helper()
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": subject, "Status": "New", "Description": "details of " + subject})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// addRecordDeadLetter stores a dead letter of a rejected Case comment,
// written at at.
func (w *world) addRecordDeadLetter(t *testing.T, caseID string, at time.Time) string {
	t.Helper()
	id, err := w.Store.AddDeadLetter(t.Context(), w.Org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case",
		RecordID: caseID, Reason: "cm rejected comment", Error: "422", Attempts: 1, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deadLetter reads a dead letter; ok is false once it is gone.
func (w *world) deadLetter(t *testing.T, id string) (replay.DeadLetter, bool) {
	t.Helper()
	d, err := w.Store.DeadLetter(t.Context(), w.Org, id)
	if err != nil {
		return d, false
	}
	return d, true
}

func (w *world) cmHas(caseID string) bool { return w.CMHas("Case", caseID) }

// eventually is simworld.Eventually.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	simworld.Eventually(t, what, cond)
}
