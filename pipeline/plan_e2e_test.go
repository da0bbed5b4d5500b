package pipeline_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// An UPDATE whose changed fields feed nothing the mapping uses is done
// without a REST call and without an upload.
func TestAnUpdateTouchingNoMappedFieldCostsNoRESTCallAndNoUpload(t *testing.T) {
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	source := &countingSource{next: w.sf}
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(_ *pipeline.Config, o *pipeline.Options) { o.Records = source })
	id, created := w.create(t, "Case", caseValues(0))
	eventually(t, "the create is checkpointed", func() bool { return bytes.Equal(w.checkpoint(t, topic), created) })
	callsBefore, statsBefore := len(source.snapshot()), w.cm.Stats()

	if err := w.sim.Org.Update(id, sfsim.Values{"ContactEmail": "someone@example.com"}); err != nil {
		t.Fatal(err)
	}
	updated := sfsim.EncodeReplayID(w.sim.Bus.Tip())
	eventually(t, "the update is checkpointed", func() bool { return bytes.Equal(w.checkpoint(t, topic), updated) })
	r.stop(t)
	if got := len(source.snapshot()); got != callsBefore {
		t.Errorf("Retrieve calls went from %d to %d for an update of an unmapped field", callsBefore, got)
	}
	if after := w.cm.Stats(); after.CommentsReceived != statsBefore.CommentsReceived {
		t.Errorf("CM received %d comments for an update of an unmapped field", after.CommentsReceived-statsBefore.CommentsReceived)
	}
}

// Gap events carry only a header: the worker fetches their records.
func TestAGapEventsRecordIsFetchedAndUploaded(t *testing.T) {
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	source := &countingSource{next: w.sf}
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(_ *pipeline.Config, o *pipeline.Options) { o.Records = source })
	var id string
	commit, err := w.sim.Org.TransactionWith(sfsim.TxOptions{DatabaseLevel: true}, func(tx *sfsim.Tx) error {
		var err error
		id, err = tx.Create("Case", caseValues(1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := commit.Events[0].Header.ChangeType; got != sfsim.ChangeType("GAP_CREATE") {
		t.Fatalf("the database-level create produced %s, want GAP_CREATE", got)
	}
	eventually(t, "CM holds the gap-created case", func() bool { return w.cmHas("Case", id) })
	r.stop(t)
	fetched := false
	for _, call := range source.snapshot() {
		fetched = fetched || slices.Contains(call, id)
	}
	if !fetched {
		t.Fatal("the gap event's record was never fetched over REST")
	}
}
