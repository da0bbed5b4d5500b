package pipeline_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

const caseTopic = "/data/CaseChangeEvent"

// caseBody is the text CM holds for a case, "" when it holds none.
func (w *world) caseBody(id string) string {
	c, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id))
	if !ok || len(c.Messages) == 0 {
		return ""
	}
	return c.Messages[0].Body
}

// awaitCheckpointAtTip waits until the topic's checkpoint is the bus's
// newest event: the stream has handled (or passed) everything before it.
func (w *world) awaitCheckpointAtTip(t *testing.T, topic string) {
	t.Helper()
	tip := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	eventually(t, "the checkpoint reaches the newest event", func() bool {
		return bytes.Equal(w.Checkpoint(t, topic), tip)
	})
}

// Records created and then updated before a topic's first start are in
// the initial backfill in their newest version; the stream must not
// replay their older events on top (which billed each of them three
// times and showed older text in CM meanwhile). Changes committed while
// the backfill runs and after it still arrive through the stream.
func TestRecordsChangedBeforeTheFirstStartAreBilledOnceAndNothingFallsBetween(t *testing.T) {
	t.Parallel()
	// The org's clock runs ten minutes behind until the daemon starts, so
	// the changes made before it lie well outside the clock-skew margin,
	// as the changes of the past 72 hours of a real org do.
	clock := &stepClock{now: time.Now().UTC().Add(-10 * time.Minute)}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	before := w.createCases(t, 0, 5)
	for i, id := range before {
		if err := w.Sim.Org.Update(id, sfsim.Values{"Description": fmt.Sprintf("Still smoking, case %d.", i)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(10 * time.Minute)

	// A case made while the backfill reads its first page.
	var once sync.Once
	during := make(chan string, 1)
	d := w.startDaemonWith(t, casesOnly, daemonTuning{fill: func(o *backfill.Options) {
		o.Progress = func(backfill.Progress) {
			once.Do(func() {
				id, err := w.Sim.Org.Create("Case", caseValues(100))
				if err != nil {
					t.Error(err)
				}
				during <- id
			})
		}
	}})
	var duringID string
	select {
	case duringID = <-during:
	case <-time.After(20 * time.Second):
		t.Fatal("the initial backfill reported no progress")
	}
	eventually(t, "the cases changed before the start are in CM in their newest version", func() bool {
		for i, id := range before {
			if w.caseBody(id) != fmt.Sprintf("Still smoking, case %d.", i) {
				return false
			}
		}
		return true
	})
	after := w.createCases(t, 200, 1)
	eventually(t, "the cases made during and after the backfill are in CM", func() bool {
		return w.CMHas("Case", duringID) && w.CMHas("Case", after...)
	})
	w.awaitCheckpointAtTip(t, caseTopic)

	for i, id := range before {
		if got, want := w.caseBody(id), fmt.Sprintf("Still smoking, case %d.", i); got != want {
			t.Errorf("case %s holds %q, want the newest text %q", id, got, want)
		}
	}
	// One unit per comment: the five changed before the start, the one
	// made during the backfill and the one made after it.
	if got := w.CM.Stats().BillableUnits; got != 7 {
		t.Errorf("CM billed %d units for 7 comments; each must be billed once", got)
	}
	if snap := d.snapshotOf(t, caseTopic); snap.CoveredByBackfill != 10 {
		t.Errorf("the stream passed %d events as covered by the backfill, want the 10 committed before the start", snap.CoveredByBackfill)
	}
	d.stop(t)
}

// A restart while the stream still replays the events the initial
// backfill covered keeps passing them: the start instant is stored with
// the topic, not only held by the process that took it.
func TestARestartKeepsPassingTheEventsTheInitialBackfillCovered(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC().Add(-10 * time.Minute)}
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	var positions [][]byte // of the 8 events, in bus order
	var before []string
	for i := range 4 {
		id, pos := w.create(t, "Case", caseValues(i))
		before, positions = append(before, id), append(positions, pos)
	}
	for i, id := range before {
		if err := w.Sim.Org.Update(id, sfsim.Values{"Description": fmt.Sprintf("Still smoking, case %d.", i)}); err != nil {
			t.Fatal(err)
		}
		positions = append(positions, sfsim.EncodeReplayID(w.Sim.Bus.Tip()))
	}
	clock.Advance(10 * time.Minute)

	// The first daemon's stream goes silent after three events, so it
	// stops with a checkpoint in the middle of the covered events.
	w.Sim.Faults.Set(sfsim.FaultSettings{StallAfterEvents: 3})
	first := w.startDaemon(t, casesOnly, nil)
	eventually(t, "the first daemon checkpoints the third event", func() bool {
		return bytes.Equal(w.Checkpoint(t, caseTopic), positions[2])
	})
	first.stop(t)
	w.Sim.Faults.Set(sfsim.FaultSettings{})

	second := w.startDaemon(t, casesOnly, nil)
	w.awaitCheckpointAtTip(t, caseTopic)
	for i, id := range before {
		if got, want := w.caseBody(id), fmt.Sprintf("Still smoking, case %d.", i); got != want {
			t.Errorf("case %s holds %q, want the newest text %q", id, got, want)
		}
	}
	if got := w.CM.Stats().BillableUnits; got != 4 {
		t.Errorf("CM billed %d units for 4 comments; each must be billed once", got)
	}
	second.stop(t)
}

// The start instant is taken on Salesforce's clock: with this host's clock
// ten minutes ahead of the org's, an instant from the host would pass, as
// already backfilled, every change committed in the ten minutes after the
// backfill read, and those records would never reach CM.
func TestTheStartInstantIsTakenOnSalesforcesClock(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Now().UTC().Add(-10 * time.Minute)} // stays behind the host
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Clock = clock })
	before := w.createCases(t, 0, 2)
	clock.Advance(2 * time.Minute) // past the skew margin, still 8 minutes behind the host
	d := w.startDaemon(t, casesOnly, nil)
	eventually(t, "the cases made before the start are in CM", func() bool { return w.CMHas("Case", before...) })
	w.awaitCheckpointAtTip(t, caseTopic) // the backfill is over and the stream passed its events
	after := w.createCases(t, 2, 3)
	eventually(t, "the cases made after the backfill are in CM", func() bool { return w.CMHas("Case", after...) })
	if snap := d.snapshotOf(t, caseTopic); snap.CoveredByBackfill != 2 {
		t.Errorf("the stream passed %d events as covered by the backfill, want the 2 committed before it began", snap.CoveredByBackfill)
	}
	d.stop(t)
}
