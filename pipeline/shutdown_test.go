package pipeline_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pipeline"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// With a flush interval longer than the test, only the last flush at
// shutdown can write the checkpoint: after a stop it must be the last
// event handled, so a restart receives nothing again.
func TestTheCheckpointIsFlushedAtShutdownToTheLastHandledEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.startWith(t, setup{topic: caseTopic, objects: casesOnly}, func(c *pipeline.Config, _ *pipeline.Options) {
		c.FlushInterval = time.Hour
	})
	var ids []string
	var last []byte
	for i := range 3 {
		id, pos := w.create(t, "Case", caseValues(i))
		ids, last = append(ids, id), pos
	}
	eventually(t, "CM holds the three cases", func() bool { return w.CMHas("Case", ids...) })
	if cp := w.Checkpoint(t, caseTopic); cp != nil {
		t.Fatalf("a checkpoint %x was written before the hour-long flush interval passed", cp)
	}
	r.stop(t)
	if cp := w.Checkpoint(t, caseTopic); !bytes.Equal(cp, last) {
		t.Fatalf("checkpoint after the stop is %x, want the last handled event %x", cp, last)
	}
}

// A topic whose objects do not change still sees keepalives, which carry
// the bus's newest position: with nothing in flight, its checkpoint
// follows them, so a quiet topic's replay ID does not age past the 72 h
// retention (reliability F28).
func TestAQuietTopicsCheckpointFollowsTheKeepalives(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.PubSub.Keepalive = 50 * time.Millisecond })
	d := w.startDaemon(t, casesOnly, nil)
	caseID, casePos := w.create(t, "Case", caseValues(0))
	eventually(t, "the case is streamed and checkpointed", func() bool {
		return w.CMHas("Case", caseID) && bytes.Equal(w.Checkpoint(t, caseTopic), casePos)
	})
	// Traffic on another object only: the case topic's stream carries no
	// event, only keepalives.
	for i := range 3 {
		if _, err := w.Sim.Org.Create("EmailMessage", emailValues(caseID, i)); err != nil {
			t.Fatal(err)
		}
	}
	tip := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	if bytes.Equal(tip, casePos) {
		t.Fatal("the emails added no event to the bus")
	}
	eventually(t, fmt.Sprintf("the quiet topic's checkpoint follows the keepalives to %x", tip), func() bool {
		return bytes.Equal(w.Checkpoint(t, caseTopic), tip)
	})
	if snap := d.snapshotOf(t, caseTopic); snap.Keepalives == 0 || snap.Events != 1 {
		t.Fatalf("the topic saw %d events and %d keepalives, want its one case event and keepalives", snap.Events, snap.Keepalives)
	}
	d.stop(t)
}
