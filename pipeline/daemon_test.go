package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/pubsub"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// stepClock is a simulator clock that moves only when told.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// daemonRun is a Daemon running on its own goroutine.
type daemonRun struct {
	daemon *pipeline.Daemon
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (r *daemonRun) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("daemon stopped with %v, want a clean stop", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop within 30 s")
	}
}

// startDaemon runs a daemon over the world's org for objects, after tune
// adjusted its configuration.
func (w *world) startDaemon(t testing.TB, objects []mapper.ObjectMapping, tune func(*pipeline.DaemonConfig)) *daemonRun {
	t.Helper()
	return w.startDaemonUp(t, objects, nil, tune)
}

var casesOnly = []mapper.ObjectMapping{{Object: "Case"}}

func TestATopicNeverSeenIsBackfilledThenStreamed(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC()}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	before := w.createCases(t, 0, 5)
	// Their events leave the bus's retention: only a backfill can deliver
	// these cases, the stream from EARLIEST no longer holds them.
	clock.Advance(73 * time.Hour)
	d := w.startDaemon(t, casesOnly, nil)
	eventually(t, "the cases made before the start are in CM", func() bool { return w.CMHas("Case", before...) })
	after := w.createCases(t, 5, 3)
	eventually(t, "the cases made after the start are in CM", func() bool { return w.CMHas("Case", after...) })
	eventually(t, "a checkpoint is written", func() bool { return w.Checkpoint(t, "/data/CaseChangeEvent") != nil })
	d.stop(t)
}

func TestAnExpiredReplayIDIsRecoveredByBackfillWithNothingLost(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC()}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	const topic = "/data/CaseChangeEvent"
	d := w.startDaemon(t, casesOnly, nil)
	streamed := w.createCases(t, 0, 3)
	eventually(t, "the first cases are streamed", func() bool { return w.CMHas("Case", streamed...) })
	eventually(t, "a checkpoint is written", func() bool { return w.Checkpoint(t, topic) != nil })
	d.stop(t)

	expired := w.createCases(t, 3, 4) // their events will age out before anyone reads them
	clock.Advance(73 * time.Hour)
	retained := w.createCases(t, 7, 2)

	d = w.startDaemon(t, casesOnly, nil)
	eventually(t, "every case is in CM", func() bool {
		return w.CMHas("Case", streamed...) && w.CMHas("Case", expired...) && w.CMHas("Case", retained...)
	})
	st, err := w.Store.Status(t.Context(), w.Sim.Org.ID(), topic)
	if err != nil || !strings.Contains(st.LastError, "Replay ID is no longer valid") {
		t.Fatalf("the recovery was not recorded: status %+v, %v", st, err)
	}
	d.stop(t)
}

func TestTheStopPolicyReportsAnExpiredReplayID(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC()}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	stopPolicy := func(c *pipeline.DaemonConfig) { c.Recovery = pipeline.RecoverStop }
	d := w.startDaemon(t, casesOnly, stopPolicy)
	streamed := w.createCases(t, 0, 2)
	eventually(t, "the first cases are streamed", func() bool {
		return w.CMHas("Case", streamed...) && w.Checkpoint(t, "/data/CaseChangeEvent") != nil
	})
	d.stop(t)
	w.createCases(t, 2, 2)
	clock.Advance(73 * time.Hour)
	d = w.startDaemon(t, casesOnly, stopPolicy)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop on an expired replay ID")
	}
	if !errors.Is(d.err, pubsub.ErrReplayInvalid) {
		t.Fatalf("the stop policy returned %v, want ErrReplayInvalid", d.err)
	}
}

// createCases makes n cases numbered from first and returns their IDs.
func (w *world) createCases(t *testing.T, first, n int) []string {
	t.Helper()
	var ids []string
	for i := first; i < first+n; i++ {
		id, _ := w.create(t, "Case", caseValues(i))
		ids = append(ids, id)
	}
	return ids
}

func TestAVanishedCheckpointIsRecoveredByBackfillWithNothingLost(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	const topic = "/data/CaseChangeEvent"
	d := w.startDaemon(t, casesOnly, nil)
	streamed := w.createCases(t, 0, 3)
	eventually(t, "the first cases are streamed", func() bool {
		return w.CMHas("Case", streamed...) && w.Checkpoint(t, topic) != nil
	})
	d.stop(t)
	missed := w.createCases(t, 3, 3)
	w.deleteCheckpointKey(t, topic)

	d = w.startDaemon(t, casesOnly, nil)
	eventually(t, "every case is in CM", func() bool { return w.CMHas("Case", streamed...) && w.CMHas("Case", missed...) })
	st, err := w.Store.Status(t.Context(), w.Sim.Org.ID(), topic)
	if err != nil || !strings.Contains(st.LastError, "checkpoint vanished") {
		t.Fatalf("the vanished checkpoint was not recorded: status %+v, %v", st, err)
	}
	d.stop(t)
}

func TestPollingObjectsAreReadOverRESTWhileTheDaemonRuns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.startDaemon(t, casesOnly, func(c *pipeline.DaemonConfig) { c.PollingObjects = []string{"Case"} })
	polled := w.createCases(t, 0, 3)
	eventually(t, "the polled cases are in CM", func() bool { return w.CMHas("Case", polled...) })
	if cp := w.Checkpoint(t, "/data/CaseChangeEvent"); cp != nil {
		t.Fatal("a polled object was streamed too")
	}
	d.stop(t)
}

func TestAGapOverflowIsResyncedByBackfillInsteadOfOnlyDeadLettered(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Org.MaxTransactionChanges = 2 })
	d := w.startDaemon(t, casesOnly, func(c *pipeline.DaemonConfig) { c.Start = pipeline.NewTopicEarliest })
	var ids []string
	_, err := w.Sim.Org.Transaction(func(tx *sfsim.Tx) error {
		for i := range 6 {
			id, err := tx.Create("Case", caseValues(i))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "every case of the overflowed transaction is in CM", func() bool { return w.CMHas("Case", ids...) })
	if n, err := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID()); err != nil || n != 0 {
		t.Fatalf("%d dead letters (%v), want the overflow resynced, not dead-lettered", n, err)
	}
	d.stop(t)
}

func TestObjectsWithoutChangeEventsAreFoundByDescribe(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	objects := []mapper.ObjectMapping{{Object: "Case"}, {Object: "CaseComment"}, {Object: "EmailMessage"}}
	polling, err := pipeline.ObjectsWithoutChangeEvents(t.Context(), w.Salesforce, objects)
	if err != nil || len(polling) != 1 || polling[0] != "CaseComment" {
		t.Fatalf("polling objects %v (%v), want [CaseComment]", polling, err)
	}
}

func TestASecondDaemonStandsByAndTakesOverWhenTheFirstStops(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	holder := func(name string) func(*pipeline.DaemonConfig) {
		return func(c *pipeline.DaemonConfig) { c.Holder = name; c.Start = pipeline.NewTopicEarliest }
	}
	first := w.startDaemon(t, casesOnly, holder("first"))
	early := w.createCases(t, 0, 2)
	eventually(t, "the first daemon streams", func() bool { return w.CMHas("Case", early...) })
	second := w.startDaemon(t, casesOnly, holder("second"))
	first.stop(t)
	late := w.createCases(t, 2, 2)
	eventually(t, "the standby took over", func() bool { return w.CMHas("Case", late...) })
	second.stop(t)
}

// After an expired replay ID, the recovery backfill reads the records the
// retained events changed in their newest version; the stream resumed at
// EARLIEST must pass those events instead of replaying older text on top
// and billing each change again.
func TestARecoveryBillsRecordsChangedDuringTheDowntimeOnce(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC()}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	// No initial backfill: only the recovery's own start instant may pass
	// events here.
	earliest := func(c *pipeline.DaemonConfig) { c.Start = pipeline.NewTopicEarliest }
	d := w.startDaemon(t, casesOnly, earliest)
	streamed := w.createCases(t, 0, 3)
	eventually(t, "the first cases are streamed", func() bool {
		return w.CMHas("Case", streamed...) && w.Checkpoint(t, caseTopic) != nil
	})
	d.stop(t)

	expired := w.createCases(t, 3, 4)
	clock.Advance(73 * time.Hour)
	retained := w.createCases(t, 7, 2)
	for i, id := range retained {
		if err := w.Sim.Org.Update(id, sfsim.Values{"Description": fmt.Sprintf("Updated during the downtime, case %d.", i)}); err != nil {
			t.Fatal(err)
		}
	}

	clock.Advance(2 * time.Minute) // the retained changes lie past the skew margin when the recovery begins
	d = w.startDaemon(t, casesOnly, earliest)
	eventually(t, "every case is in CM, the retained ones in their newest version", func() bool {
		for i, id := range retained {
			if w.caseBody(id) != fmt.Sprintf("Updated during the downtime, case %d.", i) {
				return false
			}
		}
		return w.CMHas("Case", streamed...) && w.CMHas("Case", expired...)
	})
	w.awaitCheckpointAtTip(t, caseTopic)
	d.stop(t)
	// 3 streamed, 4 recovered, 2 recovered in their newest version: one
	// unit each. Replaying the retained CREATE and UPDATE events cost 4 more.
	if got := w.CM.Stats().BillableUnits; got != 9 {
		t.Errorf("billable units = %d, want 9 (one per record)", got)
	}
}

// sfcdc serve shares one integration's topics out between instances: two
// daemons on one org, each streaming only its topic, land everything once
// between them, and neither streams the other's topic.
func TestDaemonsSharingAMappingStreamOnlyTheirOwnTopics(t *testing.T) {
	t.Parallel() // its own world; no traffic paced against a bound
	w := newWorld(t)
	objects := []mapper.ObjectMapping{{Object: "Case"}, {Object: "EmailMessage"}}
	cases := w.startDaemon(t, objects, func(c *pipeline.DaemonConfig) {
		c.Topics, c.Holder = []string{"/data/CaseChangeEvent"}, "instance-cases"
	})
	emails := w.startDaemon(t, objects, func(c *pipeline.DaemonConfig) {
		c.Topics, c.Holder = []string{"/data/EmailMessageChangeEvent"}, "instance-emails"
		c.SkipPolling = true
	})
	if got := cases.daemon.Topics(); len(got) != 1 || got["/data/CaseChangeEvent"] == nil {
		t.Fatalf("the cases daemon streams %v; want only /data/CaseChangeEvent", got)
	}
	if got := emails.daemon.Topics(); len(got) != 1 || got["/data/EmailMessageChangeEvent"] == nil {
		t.Fatalf("the emails daemon streams %v; want only /data/EmailMessageChangeEvent", got)
	}
	made := w.createCases(t, 0, 3)
	eventually(t, "the cases reach CM", func() bool { return w.CMHas("Case", made...) })
	for topic, holder := range map[string]string{"/data/CaseChangeEvent": "instance-cases", "/data/EmailMessageChangeEvent": "instance-emails"} {
		eventually(t, "the status of "+topic, func() bool {
			st, err := w.Store.Status(t.Context(), w.Sim.Org.ID(), topic)
			return err == nil && st.Holder == holder
		})
	}
	cases.stop(t)
	emails.stop(t)
}
