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
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	source := &countingSource{next: w.Salesforce}
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(_ *pipeline.Config, o *pipeline.Options) { o.Records = source })
	id, created := w.create(t, "Case", caseValues(0))
	eventually(t, "the create is checkpointed", func() bool { return bytes.Equal(w.Checkpoint(t, topic), created) })
	callsBefore, statsBefore := len(source.snapshot()), w.CM.Stats()

	if err := w.Sim.Org.Update(id, sfsim.Values{"ContactEmail": "someone@example.com"}); err != nil {
		t.Fatal(err)
	}
	updated := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	eventually(t, "the update is checkpointed", func() bool { return bytes.Equal(w.Checkpoint(t, topic), updated) })
	r.stop(t)
	if got := len(source.snapshot()); got != callsBefore {
		t.Errorf("Retrieve calls went from %d to %d for an update of an unmapped field", callsBefore, got)
	}
	if after := w.CM.Stats(); after.CommentsReceived != statsBefore.CommentsReceived {
		t.Errorf("CM received %d comments for an update of an unmapped field", after.CommentsReceived-statsBefore.CommentsReceived)
	}
}

// Gap events carry only a header: the worker fetches their records.
func TestAGapEventsRecordIsFetchedAndUploaded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	source := &countingSource{next: w.Salesforce}
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(_ *pipeline.Config, o *pipeline.Options) { o.Records = source })
	var id string
	commit, err := w.Sim.Org.TransactionWith(sfsim.TxOptions{DatabaseLevel: true}, func(tx *sfsim.Tx) error {
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
	eventually(t, "CM holds the gap-created case", func() bool { return w.CMHas("Case", id) })
	r.stop(t)
	fetched := false
	for _, call := range source.snapshot() {
		fetched = fetched || slices.Contains(call, id)
	}
	if !fetched {
		t.Fatal("the gap event's record was never fetched over REST")
	}
}

// Collections retrieve returns only an object's own fields, so a mapping
// that needs a parent's field (Parent.CaseNumber) is read with SOQL.
func TestParentRelationshipFieldsAreReadWithAQuery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/EmailMessageChangeEvent"
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	parent, _ := w.Sim.Org.Get(caseID)
	caseNumber, _ := parent.Fields["CaseNumber"].(string)
	if caseNumber == "" {
		t.Fatal("the simulated case has no CaseNumber")
	}
	mapping := mapper.ObjectMapping{Object: "EmailMessage", Comment: mapper.CommentMapping{Properties: map[string]string{"Case Number": "Parent.CaseNumber"}}}
	r := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{mapping}})
	id, _ := w.create(t, "EmailMessage", emailValues(caseID, 0))
	eventually(t, "CM holds the email with its case number", func() bool {
		c, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", id))
		return ok && c.UserProperties["string:Case Number"] == caseNumber
	})
	r.stop(t)
	if n, _ := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID()); n != 0 {
		t.Fatalf("%d dead letters, want none", n)
	}
}

// A topic never seen starts where the configuration says: earliest takes
// every retained event, latest only what happens after the subscription.
func TestATopicNeverSeenStartsAtTheConfiguredPosition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		start       pipeline.StartPosition
		wantOldCase bool
	}{
		{"earliest delivers retained events", pipeline.StartEarliest, true},
		{"latest skips what came before", pipeline.StartLatest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			const topic = "/data/CaseChangeEvent"
			old, _ := w.create(t, "Case", caseValues(0))
			r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
				func(c *pipeline.Config, _ *pipeline.Options) { c.Start = tc.start })
			var fresh []string
			eventually(t, "a case created after the start reaches CM", func() bool {
				id, _ := w.create(t, "Case", caseValues(len(fresh)+1))
				fresh = append(fresh, id)
				return w.CMHas("Case", fresh[0]) || (len(fresh) > 1 && w.CMHas("Case", fresh[len(fresh)-2]))
			})
			last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
			eventually(t, "the checkpoint reaches the last case", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
			r.stop(t)
			if got := w.CMHas("Case", old); got != tc.wantOldCase {
				t.Fatalf("CM holds the case created before the start: %v, want %v", got, tc.wantOldCase)
			}
		})
	}
}

// A comment CM refuses for good (422) becomes a dead letter carrying its
// event's replay ID and the reason; the events after it still land and the
// checkpoint passes it.
func TestACommentCMRejectsIsDeadLetteredWithItsReplayIDAndTheStreamGoesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	w.Gate.Reject("REJECT-ME")
	r := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}})
	bad, badReplay := w.create(t, "Case", sfsim.Values{"Subject": "REJECT-ME", "Status": "New"})
	good, last := w.create(t, "Case", caseValues(7))
	eventually(t, "the checkpoint passes the rejected case", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	if !w.CMHas("Case", good) || w.CMHas("Case", bad) {
		t.Fatalf("CM holds the good case: %v, the rejected one: %v", w.CMHas("Case", good), w.CMHas("Case", bad))
	}
	letters, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || !bytes.Equal(letters[0].ReplayID, badReplay) || letters[0].RecordID != bad || letters[0].Object != "Case" || letters[0].Reason == "" {
		t.Fatalf("dead letters = %+v, want one for %s with replay ID %x and a reason", letters, bad, badReplay)
	}
}
