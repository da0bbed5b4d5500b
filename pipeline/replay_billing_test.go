package pipeline_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// A backfill (the daemon's initial load, a recovery) puts a record's
// newest version into CM; the stream then replays the record's events,
// and the CREATE event's payload holds its first text. Mapped from that
// payload, CM would be sent back to the first text (billed) and then
// forward to the newest again (billed): two units for nothing.
func TestAReplayedCreateOfARecordChangedSinceIsNotBilledAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	objects := []mapper.ObjectMapping{{Object: "Case"}}
	const topic = "/data/CaseChangeEvent"
	began := time.Now().Add(-time.Minute)
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Parcel lost", "Description": "first text", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Sim.Org.Update(id, sfsim.Values{"Description": "second text"}); err != nil {
		t.Fatal(err)
	}
	m, err := mapper.New(mapper.Config{Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	fill, err := backfill.New(backfill.Config{}, backfill.Options{Salesforce: w.Salesforce, Mapper: m, Store: w.Store, Org: w.Sim.Org.ID(),
		Upload: uploader.Config{BaseURL: w.CMURL, Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource, Linger: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fill.Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if st := w.CM.Stats(); st.BillableUnits != 1 {
		t.Fatalf("the backfill was billed %d units, want 1", st.BillableUnits)
	}

	// The worker passes what the backfill's start instant covers; these
	// events were committed after it (the backfill began earlier).
	tip := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	r := w.startWith(t, setup{topic: topic, objects: objects}, func(c *pipeline.Config, _ *pipeline.Options) {
		c.SkipCommittedBefore = began
	})
	eventually(t, "the checkpoint at the update's event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), tip) })
	r.stop(t)

	st := w.CM.Stats()
	if st.BillableUnits != 1 {
		t.Errorf("CM billed %d units in all (%d new, %d updated, %d unchanged), want the backfill's 1: the replayed events brought nothing newer",
			st.BillableUnits, st.New, st.Updated, st.Unchanged)
	}
	if c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id)); c.Messages[0].Body != "second text" {
		t.Errorf("CM holds %q, want the newest text", c.Messages[0].Body)
	}
}
