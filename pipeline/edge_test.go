package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// countingSource passes Retrieve calls to the real REST client and keeps
// the IDs of each call.
type countingSource struct {
	next  pipeline.RecordSource
	mu    sync.Mutex
	calls [][]string
}

func (c *countingSource) Retrieve(ctx context.Context, object string, ids, fields []string) ([]salesforce.Record, error) {
	c.mu.Lock()
	c.calls = append(c.calls, slices.Clone(ids))
	c.mu.Unlock()
	return c.next.Retrieve(ctx, object, ids, fields)
}

func (c *countingSource) snapshot() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func TestUpdatesOfManyEventsShareOneRetrieveCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/EmailMessageChangeEvent"
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 10 {
		id, _ := w.create(t, "EmailMessage", emailValues(caseID, i))
		ids = append(ids, id)
	}
	for i, id := range ids { // ten UPDATE events, each needing a fetch
		if err := w.Sim.Org.Update(id, sfsim.Values{"TextBody": "Update " + strings.Repeat("!", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	source := &countingSource{next: w.Salesforce}
	// The batch can only leave full: the linger is far longer than the test.
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "EmailMessage"}}},
		func(c *pipeline.Config, o *pipeline.Options) {
			c.FetchMaxIDs, c.FetchLinger = 10, time.Hour
			o.Records = source
		})
	eventually(t, "the checkpoint reaches the last update", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)

	calls := source.snapshot()
	if len(calls) != 1 || len(calls[0]) != 10 {
		t.Fatalf("Retrieve calls = %v, want one call with the 10 updated IDs", calls)
	}
	c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", ids[9]))
	if len(c.Messages) == 0 || c.Messages[0].Body != "Update !!!!!!!!!!" {
		t.Errorf("last email's comment = %+v, want the updated body", c.Messages)
	}
}

func TestAMergedEventIsDoneOnlyWhenEveryRecordsCommentIsAccepted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/EmailMessageChangeEvent"
	// One comment per request, so CM can accept two records of the event
	// while it refuses the third.
	emailsOnly := setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "EmailMessage"}},
		upload: func(c *uploader.Config) { c.MaxBatchComments = 1 }}
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	const held = "Held order question"
	w.Gate.Fail(held)
	var ids []string
	for i := range 3 {
		v := emailValues(caseID, i)
		if i == 0 {
			v["Subject"] = held
		}
		var id string
		id, _ = w.create(t, "EmailMessage", v)
		ids = append(ids, id)
	}
	// One transaction giving three records the same change: Salesforce
	// merges it into one event naming all three record IDs.
	tipBefore := w.Sim.Bus.Tip()
	_, err = w.Sim.Org.Transaction(func(tx *sfsim.Tx) error {
		for _, id := range ids {
			if err := tx.Update(id, sfsim.Values{"TextBody": "Merged answer"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := w.Sim.Bus.Tip() - tipBefore; n != 1 {
		t.Fatalf("the transaction made %d events, want one merged event", n)
	}
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	r := w.start(t, emailsOnly)
	updated := func(id string) bool {
		c, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", id))
		return ok && len(c.Messages) > 0 && c.Messages[0].Body == "Merged answer"
	}
	eventually(t, "the two accepted records are updated in CM", func() bool { return updated(ids[1]) && updated(ids[2]) })
	r.stop(t)
	if got := w.Checkpoint(t, topic); bytes.Equal(got, last) {
		t.Fatal("checkpoint passed the merged event although CM refused one of its comments")
	}

	w.Gate.Heal()
	r = w.start(t, emailsOnly)
	eventually(t, "every record is updated in CM", func() bool { return updated(ids[0]) && updated(ids[1]) && updated(ids[2]) })
	eventually(t, "the checkpoint reaches the merged event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
}

func TestAPoisonEventIsDeadLetteredAndPassed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	r := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}})
	first, _ := w.create(t, "Case", caseValues(0))
	poison := sfsim.EncodeReplayID(w.Sim.Bus.Append(sfsim.BusEvent{Entity: "Case", EventUUID: "poison-1",
		SchemaID: w.Sim.Org.TopicSchemaID(topic), Payload: []byte{0xff, 0xff, 0xff, 0xff, 0x01}}))
	second, last := w.create(t, "Case", caseValues(1))

	eventually(t, "both good cases reach CM", func() bool { return w.CMHas("Case", first, second) })
	eventually(t, "the checkpoint passes the poison event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	dead, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || !bytes.Equal(dead[0].ReplayID, poison) || dead[0].Topic != topic {
		t.Fatalf("dead letters = %+v, want one for replay ID %x on %s", dead, poison, topic)
	}
}

func TestAVanishedCheckpointStopsTheWorkerInsteadOfStartingAtLatest(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	const topic = "/data/CaseChangeEvent"
	r := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}})
	_, last := w.create(t, "Case", caseValues(0))
	eventually(t, "a checkpoint is written", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	w.deleteCheckpointKey(t, topic)

	r = w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}})
	<-r.done
	var vanished *pipeline.CheckpointVanishedError
	if !errors.As(r.err, &vanished) || !errors.Is(r.err, replay.ErrCheckpointVanished) {
		t.Fatalf("Run = %v, want a *CheckpointVanishedError", r.err)
	}
}

func TestASecondWorkerIsKeptOutByTheLease(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	first := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}})
	_, last := w.create(t, "Case", caseValues(0))
	eventually(t, "the first worker writes a checkpoint", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })

	second := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(c *pipeline.Config, _ *pipeline.Options) { c.Holder = "another-process" })
	<-second.done
	if !errors.Is(second.err, replay.ErrLeaseHeld) {
		t.Fatalf("second worker's Run = %v, want ErrLeaseHeld", second.err)
	}
	first.stop(t)
}

func TestARecordWhoseFetchIsRefusedIsDeadLetteredAndPassed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	// A property on a field the org does not have: the event cannot carry
	// it, and Salesforce refuses to fetch it.
	broken := []mapper.ObjectMapping{{Object: "Case", Comment: mapper.CommentMapping{
		Properties: map[string]string{"Mood": "Mood__c"}}}}
	r := w.start(t, setup{topic: topic, objects: broken})
	id, last := w.create(t, "Case", caseValues(0))
	eventually(t, "the checkpoint passes the refused event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	dead, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || !bytes.Equal(dead[0].ReplayID, last) || dead[0].Object != "Case" || dead[0].RecordID != id ||
		dead[0].EventTime.IsZero() {
		t.Fatalf("dead letters = %+v, want one for record %s of the Case event %x, with its commit time", dead, id, last)
	}
	if w.CMHas("Case", id) {
		t.Error("CM holds a comment for a record that could not be fetched")
	}
}

func TestAWorkerWhoseLeaseIsTakenOverStops(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	const topic = "/data/CaseChangeEvent"
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(c *pipeline.Config, _ *pipeline.Options) { c.LeaseTTL = 300 * time.Millisecond })
	_, last := w.create(t, "Case", caseValues(0))
	eventually(t, "a checkpoint is written", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })

	// The lease key disappears (expiry during a pause, say) and another
	// process takes the topic with a newer fencing token.
	key := w.KeyPrefix + "{" + w.Sim.Org.ID() + "}:lease:" + topic
	if err := w.Redis.Del(t.Context(), key).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.AcquireLease(t.Context(), w.Sim.Org.ID(), topic, "intruder", time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker kept running after losing its lease")
	}
	if !errors.Is(r.err, pipeline.ErrLeaseLost) {
		t.Fatalf("Run = %v, want ErrLeaseLost", r.err)
	}
}

// staleSource reads the records, then lets the org delete them and
// answers only once CM has seen a delete (or a bound passed): a read that
// raced with the record's deletion, as a Collections call may on a busy org.
type staleSource struct {
	next     pipeline.RecordSource
	onRead   func()
	deleted  func() bool
	readOnce sync.Once
}

func (s *staleSource) Retrieve(ctx context.Context, object string, ids, fields []string) ([]salesforce.Record, error) {
	recs, err := s.next.Retrieve(ctx, object, ids, fields)
	s.readOnce.Do(s.onRead)
	for deadline := time.Now().Add(2 * time.Second); !s.deleted() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	return recs, err
}

// A DELETE must not overtake the fetch of an earlier UPDATE of the same
// record: the fetched (pre-delete) record would bring the comment back.
func TestADeleteWaitsForAnEarlierFetchOfItsRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	id, _ := w.create(t, "Case", caseValues(0))
	if err := w.Sim.Org.Update(id, sfsim.Values{"Description": "edited before the delete"}); err != nil {
		t.Fatal(err)
	}
	deletesBefore := w.CM.Stats().Deleted
	source := &staleSource{next: w.Salesforce,
		onRead: func() {
			if err := w.Sim.Org.Delete(id); err != nil {
				t.Error(err)
			}
		},
		deleted: func() bool { return w.CM.Stats().Deleted > deletesBefore }}
	r := w.startWith(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}},
		func(_ *pipeline.Config, o *pipeline.Options) { o.Records = source })
	eventually(t, "the record was read and deleted", func() bool { rec, _ := w.Sim.Org.Get(id); return rec.IsDeleted() })
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	eventually(t, "the checkpoint reaches the delete", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	if w.CMHas("Case", id) {
		c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id))
		t.Fatalf("the deleted case's comment is back in CM: %+v", c.Messages)
	}
	if w.CM.Stats().Deleted == deletesBefore {
		t.Fatal("CM never received the delete")
	}
}
