package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// logSignal is a slog handler that closes seen when a record with message
// msg is logged: a test waits on what the code under test says happened.
type logSignal struct {
	msg  string
	once *sync.Once
	seen chan struct{}
}

func newLogSignal(msg string) logSignal {
	return logSignal{msg: msg, once: &sync.Once{}, seen: make(chan struct{})}
}

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logSignal) WithGroup(string) slog.Handler            { return h }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}

// snapshotOf returns the daemon's snapshot of topic.
func (r *daemonRun) snapshotOf(t *testing.T, topic string) figures.Topic {
	t.Helper()
	for _, s := range r.daemon.Snapshot() {
		if s.Topic == topic {
			return s
		}
	}
	t.Fatalf("the daemon has no topic %s", topic)
	return figures.Topic{}
}

// status reads the topic's status document, zero when there is none.
func (w *world) status(t *testing.T, topic string) replay.Status {
	t.Helper()
	st, err := w.Store.Status(t.Context(), w.Sim.Org.ID(), topic)
	if errors.Is(err, replay.ErrNotFound) {
		return replay.Status{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Two instances starting together on a topic never streamed: the initial
// backfill runs under the topic lease, so only the holder loads; the other
// stands by, writes no status, and takes over when the holder stops
// (which releases the lease, long before its TTL would run out).
func TestTwoDaemonsStartingTogetherBackfillOnceAndTheStandbyTakesOver(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	before := w.createCases(t, 0, 20)

	var pages [2]atomic.Int64 // backfill progress reports per daemon
	start := func(i int, holder string) *daemonRun {
		return w.startDaemonWith(t, casesOnly, daemonTuning{
			daemon: func(c *pipeline.DaemonConfig) {
				c.Holder, c.StatusInterval = holder, 20*time.Millisecond
				c.Worker.LeaseTTL = time.Minute // a takeover by expiry would outlast every wait below
			},
			fill: func(o *backfill.Options) { o.Progress = func(backfill.Progress) { pages[i].Add(1) } },
		})
	}
	runs := []*daemonRun{start(0, "first"), start(1, "second")}
	names := []string{"first", "second"}

	var holder, standby int
	eventually(t, "one daemon streams and the other stands by", func() bool {
		a, b := runs[0].snapshotOf(t, topic), runs[1].snapshotOf(t, topic)
		switch {
		case a.State == replay.StateStreaming && b.State == replay.StateStandby:
			holder, standby = 0, 1
		case b.State == replay.StateStreaming && a.State == replay.StateStandby:
			holder, standby = 1, 0
		default:
			return false
		}
		return true
	})
	eventually(t, "the cases made before the start are in CM", func() bool { return w.CMHas("Case", before...) })
	if pages[holder].Load() == 0 || pages[standby].Load() != 0 {
		t.Fatalf("backfill progress reports: holder %d, standby %d; want only the holder to backfill",
			pages[holder].Load(), pages[standby].Load())
	}
	if s := runs[standby].snapshotOf(t, topic); s.Holder != names[holder] {
		t.Errorf("the standby reports holder %q, want %q", s.Holder, names[holder])
	}
	// The holder writes every 20 ms; the standby must never have written.
	seen := time.Now()
	eventually(t, "the holder rewrote its status", func() bool { return w.status(t, topic).UpdatedAt.After(seen) })
	if st := w.status(t, topic); st.Holder != names[holder] || st.State != replay.StateStreaming {
		t.Fatalf("status %s held by %q, want streaming by %q", st.State, st.Holder, names[holder])
	}

	streamed := w.createCases(t, 20, 3)
	eventually(t, "the holder streams", func() bool { return w.CMHas("Case", streamed...) })
	eventually(t, "a checkpoint is written", func() bool { return w.Checkpoint(t, topic) != nil })
	runs[holder].stop(t)

	late := w.createCases(t, 23, 3)
	eventually(t, "the standby took the topic", func() bool {
		return runs[standby].snapshotOf(t, topic).State == replay.StateStreaming
	})
	eventually(t, "the cases made after the takeover are in CM", func() bool { return w.CMHas("Case", late...) })
	m, err := mapper.New(mapper.Config{Objects: casesOnly})
	if err != nil {
		t.Fatal(err)
	}
	awaitCMMatchesOrg(t, w, m, 20*time.Second, "Case")
	if pages[standby].Load() != 0 {
		t.Errorf("the new holder backfilled (%d reports) although the topic had a checkpoint", pages[standby].Load())
	}
	eventually(t, "the new holder writes the status", func() bool { return w.status(t, topic).Holder == names[standby] })
	runs[standby].stop(t)
}

// A holder that loses its lease (here: taken over with a newer fencing
// token while a fetch waits in the batcher) stops intake at once, starts
// no more fetches or uploads, and its checkpoint stays where it was. When
// the lease comes free it takes the topic again, its counters intact.
func TestAHolderThatLosesItsLeaseStartsNoFetchOrUploadAndMovesNoCheckpoint(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	const topic = "/data/EmailMessageChangeEvent"
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	source := &countingSource{next: w.Salesforce}
	d := w.startDaemonWith(t, []mapper.ObjectMapping{{Object: "EmailMessage"}}, daemonTuning{
		daemon: func(c *pipeline.DaemonConfig) {
			c.Start, c.StatusInterval = pipeline.NewTopicEarliest, 20*time.Millisecond
			c.Worker.LeaseTTL = 3 * time.Second
			// A fetch waits in the batcher until a second record joins it.
			c.Worker.FetchLinger, c.Worker.FetchMaxIDs = time.Hour, 2
		},
		options: func(o *pipeline.Options) { o.Records = source },
	})
	email, _ := w.create(t, "EmailMessage", emailValues(caseID, 0))
	email2, last := w.create(t, "EmailMessage", emailValues(caseID, 1))
	eventually(t, "the emails are in CM and checkpointed", func() bool {
		return w.CMHas("EmailMessage", email, email2) && bytes.Equal(w.Checkpoint(t, topic), last)
	})
	before, err := w.Store.Checkpoint(t.Context(), w.Sim.Org.ID(), topic)
	if err != nil {
		t.Fatal(err)
	}
	const edited = "Edited while the lease was lost"
	if err := w.Sim.Org.Update(email, sfsim.Values{"TextBody": edited}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the update waits for its fetch", func() bool { return d.snapshotOf(t, topic).Events == 3 })

	// The lease key vanishes (a pause past the TTL) and another instance
	// takes the topic with a newer fencing token.
	key := w.KeyPrefix + "{" + w.Sim.Org.ID() + "}:lease:" + topic
	if err := w.Redis.Del(t.Context(), key).Err(); err != nil {
		t.Fatal(err)
	}
	intruder, err := w.Store.AcquireLease(t.Context(), w.Sim.Org.ID(), topic, "intruder", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the daemon stands by for the intruder", func() bool {
		s := d.snapshotOf(t, topic)
		return s.State == replay.StateStandby && s.Holder == "intruder"
	})
	if calls := source.snapshot(); len(calls) != 0 {
		t.Fatalf("records were fetched after the lease was lost: %v", calls)
	}
	if c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", email)); c.Messages[0].Body == edited {
		t.Fatal("the update was uploaded after the lease was lost")
	}
	after, err := w.Store.Checkpoint(t.Context(), w.Sim.Org.ID(), topic)
	if err != nil || !after.Equal(before) || intruder.Token <= before.Token {
		t.Fatalf("checkpoint %+v (%v), want it unchanged at %+v below the intruder's token %d", after, err, before, intruder.Token)
	}
	if s := d.snapshotOf(t, topic); s.LastError == "" {
		t.Error("the lost lease left no last error")
	}

	if err := w.Store.ReleaseLease(t.Context(), intruder); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the daemon takes the topic again", func() bool {
		return d.snapshotOf(t, topic).State == replay.StateStreaming
	})
	if err := w.Sim.Org.Update(email2, sfsim.Values{"TextBody": edited}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both updates are fetched and uploaded", func() bool {
		c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", email))
		c2, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", email2))
		return c.Messages[0].Body == edited && c2.Messages[0].Body == edited && d.snapshotOf(t, topic).CommentsUpdated == 2
	})
	s := d.snapshotOf(t, topic)
	if s.Events < 5 || s.FetchCalls != 1 || s.RecordsFetched != 2 || s.CommentsNew != 2 || s.CommentsUpdated != 2 {
		t.Errorf("snapshot %+v: want the counts of both holds (≥5 events, 1 fetch of 2 records, 2 new, 2 updated)", s)
	}
	d.stop(t)
}

// The lease holder's status document in Redis: its state, its holder,
// counts equal to CM's own, the stream's times; "stopped" after a clean
// shutdown. The daemon's Snapshot tells the same.
func TestTheHolderWritesTheTopicStatusAndStopped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	loaded := w.createCases(t, 0, 5) // loaded by the initial backfill
	d := w.startDaemonWith(t, casesOnly, daemonTuning{daemon: func(c *pipeline.DaemonConfig) {
		c.Holder, c.StatusInterval = "status-holder", 50*time.Millisecond
	}})
	eventually(t, "the loaded cases are in CM", func() bool { return w.CMHas("Case", loaded...) })
	// A record changed while the backfill still runs is read new by the
	// backfill, then its older create event replays from EARLIEST and its
	// update after it: two more text updates. Wait for the replay of the
	// loaded cases, so every count below is exact.
	eventually(t, "the stream replayed the loaded cases", func() bool {
		s := d.snapshotOf(t, topic)
		return s.State == replay.StateStreaming && s.Events == 5 && s.CommentsUnchanged == 5
	})
	streamed := w.createCases(t, 5, 3)
	if err := w.Sim.Org.Update(loaded[0], sfsim.Values{"Description": "The fire is out."}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the streamed changes are in CM", func() bool {
		c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", loaded[0]))
		return w.CMHas("Case", streamed...) && len(c.Messages) == 1 && bytes.Contains([]byte(c.Messages[0].Body), []byte("fire is out"))
	})
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	eventually(t, "the checkpoint reaches the last event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })

	cm := w.CM.Stats()
	var st replay.Status
	eventually(t, "the status counts match CM's", func() bool {
		st = w.status(t, topic)
		return st.State == replay.StateStreaming && st.CommentsNew == cm.New && st.CommentsUpdated+st.CommentsMetadataUpdated == cm.Updated &&
			st.Events >= 9 && !st.LastCheckpointAt.IsZero()
	})
	if st.Holder != "status-holder" || st.CommentsNew != 8 || st.CommentsUpdated != 1 || st.BillableUnits() != cm.BillableUnits {
		t.Errorf("status %+v: want holder status-holder, 8 new and 1 updated comment, CM billed %d", st, cm.BillableUnits)
	}
	if time.Since(st.LastEventAt) > time.Minute || st.ReplayAge <= 0 || st.ReplayAge >= 72*time.Hour {
		t.Errorf("status %+v: want a recent event and a replay age within retention", st)
	}
	if st.StateSince.IsZero() || st.CheckpointCommitAt.IsZero() || st.UpdatedAt.Before(st.StateSince) || st.Uploaded() != cm.New+cm.Updated {
		t.Errorf("status %+v: want when streaming began, the checkpoint's commit time and the uploads CM counted", st)
	}
	s := d.snapshotOf(t, topic)
	if s.CommentsNew != cm.New || s.CommentsUpdated != 1 || s.Events < 9 || s.Holder != "status-holder" ||
		!slices.Equal(s.Objects, []string{"Case"}) || s.LastCheckpointAt.IsZero() {
		t.Errorf("snapshot %+v disagrees with CM %+v", s, cm)
	}

	d.stop(t)
	if st := w.status(t, topic); st.State != replay.StateStopped || st.Holder != "status-holder" {
		t.Fatalf("status after a clean stop = %s by %q, want stopped by status-holder", st.State, st.Holder)
	}
	if s := d.snapshotOf(t, topic); s.State != replay.StateStopped {
		t.Errorf("snapshot state after the stop = %s, want stopped", s.State)
	}
}

// A fetch Salesforce refuses for good dead-letters each record of the
// event on its own, with the change's commit time, so a retry can refetch
// them one by one.
func TestARefusedFetchDeadLettersEachRecordOfAMergedEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	broken := []mapper.ObjectMapping{{Object: "Case", Comment: mapper.CommentMapping{
		Properties: map[string]string{"Mood": "Mood__c"}}}}
	ids := w.createCases(t, 0, 3)
	_, err := w.Sim.Org.Transaction(func(tx *sfsim.Tx) error {
		for _, id := range ids {
			if err := tx.Update(id, sfsim.Values{"Status": "Working"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	committed := time.Now()
	r := w.start(t, setup{topic: topic, objects: broken})
	eventually(t, "the checkpoint passes the refused event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	dead, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, dl := range dead {
		if dl.EventTime.IsZero() || dl.EventTime.After(committed.Add(time.Minute)) || time.Since(dl.EventTime) > time.Hour {
			t.Errorf("dead letter %s has event time %v, want the change's commit time", dl.ID, dl.EventTime)
		}
		if bytes.Equal(dl.ReplayID, last) {
			if dl.Object != "Case" || dl.Topic != topic {
				t.Errorf("dead letter %+v names the wrong object or topic", dl)
			}
			merged = append(merged, dl.RecordID)
		}
	}
	slices.Sort(merged)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(merged, want) {
		t.Fatalf("dead letters of the merged event name %v, want one per record %v", merged, want)
	}
}

// The initial backfill runs under the topic lease: losing the lease in the
// middle of it stops it (no further page is read) and the daemon stands by.
func TestLosingTheLeaseStopsTheInitialBackfill(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	const topic, total = "/data/CaseChangeEvent", 450
	w.createCases(t, 0, total)
	lost := newLogSignal("topic lease lost; stopping work on the topic")
	firstPage := make(chan struct{})
	var once sync.Once
	var maxRead atomic.Int64
	d := w.startDaemonWith(t, casesOnly, daemonTuning{
		daemon:     func(c *pipeline.DaemonConfig) { c.Worker.LeaseTTL = 3 * time.Second },
		options:    func(o *pipeline.Options) { o.Logger = slog.New(lost) },
		fillConfig: func(c *backfill.Config) { c.PageSize = 200 },
		fill: func(o *backfill.Options) {
			o.Progress = func(p backfill.Progress) {
				if int64(p.Read) > maxRead.Load() {
					maxRead.Store(int64(p.Read))
				}
				if p.Read > 0 {
					// Hold the backfill after its first page until the lease is gone.
					once.Do(func() {
						close(firstPage)
						select {
						case <-lost.seen:
						case <-time.After(20 * time.Second):
						}
					})
				}
			}
		},
	})
	select {
	case <-firstPage:
	case <-time.After(20 * time.Second):
		t.Fatal("the backfill read no page")
	}
	key := w.KeyPrefix + "{" + w.Sim.Org.ID() + "}:lease:" + topic
	if err := w.Redis.Del(t.Context(), key).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.AcquireLease(t.Context(), w.Sim.Org.ID(), topic, "intruder", time.Minute); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the daemon stands by for the intruder", func() bool {
		s := d.snapshotOf(t, topic)
		return s.State == replay.StateStandby && s.Holder == "intruder"
	})
	if n := maxRead.Load(); n >= total {
		t.Fatalf("the backfill read %d of %d records after losing the lease, want it stopped", n, total)
	}
	if n := len(w.CM.Comments(cmProject, cmSource)); n >= total {
		t.Fatalf("CM holds %d comments, want the backfill stopped before %d", n, total)
	}
}
