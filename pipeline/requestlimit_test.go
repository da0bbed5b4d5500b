package pipeline_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// The stream's record fetch meeting REQUEST_LIMIT_EXCEEDED means what it
// means to a backfill: the org's API allocation is spent, and retrying
// soon only spends more. The topic pauses, says so and when it resumes,
// and checkpoints nothing past the event whose fetch was refused; the
// other topic (whose events need no fetch) goes on; once the limit clears
// the topic streams again and every change lands. The fetch used to
// retry for ever, the topic showing streaming.
func TestAStreamingFetchAtTheRequestLimitPausesOnlyItsTopicAndLosesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for i := range 5 {
		id, _ := w.create(t, "EmailMessage", emailValues(caseID, i))
		emails = append(emails, id)
	}
	d := w.startDaemon(t, casesAndEmails, func(c *pipeline.DaemonConfig) { c.BudgetRetry = 200 * time.Millisecond })
	eventually(t, "both topics stream", func() bool {
		return topicState(d.daemon, emailTopic) == replay.StateStreaming && topicState(d.daemon, caseTopic) == replay.StateStreaming
	})
	eventually(t, "the emails are in CM", func() bool { return w.CMHas("EmailMessage", emails...) })
	w.awaitCheckpointAtTip(t, emailTopic)
	checkpointBefore := w.Checkpoint(t, emailTopic)

	used, _ := w.Sim.REST.APIUsage()
	w.Sim.REST.SetDailyAPILimit(used) // every further REST call is refused
	for i, id := range emails {       // each UPDATE needs a fetch of the whole record
		if err := w.Sim.Org.Update(id, sfsim.Values{"TextBody": "Edited while the org's API allocation was spent, " + strings.Repeat("!", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the email topic pauses at the request limit", func() bool {
		s := d.snapshotOf(t, emailTopic)
		return s.State == replay.StatePaused && strings.Contains(s.LastError, "REQUEST_LIMIT_EXCEEDED") &&
			strings.Contains(s.LastError, "resumes at")
	})
	after := w.createCases(t, 1, 1)
	t.Cleanup(func() {
		if t.Failed() {
			for _, topic := range []string{caseTopic, emailTopic} {
				t.Logf("%s: %+v", topic, d.snapshotOf(t, topic))
			}
		}
	})
	eventually(t, "a case made while the email topic is paused reaches CM", func() bool { return w.CMHas("Case", after...) })
	if s := topicState(d.daemon, caseTopic); s != replay.StateStreaming {
		t.Errorf("the case topic is %s while the email topic is paused, want streaming", s)
	}
	select {
	case <-d.done:
		t.Fatalf("the daemon stopped: %v", d.err)
	default:
	}
	if got := w.Checkpoint(t, emailTopic); string(got) != string(checkpointBefore) {
		t.Fatal("the email topic's checkpoint moved past an event whose fetch was refused")
	}

	w.Sim.REST.SetDailyAPILimit(1_000_000)
	eventually(t, "the email topic streams once the limit clears", func() bool {
		return topicState(d.daemon, emailTopic) == replay.StateStreaming
	})
	m, err := mapper.New(mapper.Config{Objects: casesAndEmails})
	if err != nil {
		t.Fatal(err)
	}
	awaitCMMatchesOrg(t, w, m, 30*time.Second, "EmailMessage", "Case")
	d.stop(t)
}

// A GAP_OVERFLOW's resync is a load like the others: refused with
// REQUEST_LIMIT_EXCEEDED it pauses its topic instead of dead-lettering the
// overflow, and once the limit clears the resync runs again and every
// record of the overflowed transaction lands, with no dead letter.
func TestAGapOverflowResyncAtTheRequestLimitPausesTheTopicInsteadOfDeadLettering(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, func(c *sfsim.SimConfig) { c.Org.MaxTransactionChanges = 2 })
	d := w.startDaemon(t, casesOnly, func(c *pipeline.DaemonConfig) {
		c.Start, c.BudgetRetry = pipeline.NewTopicEarliest, 200*time.Millisecond
	})
	eventually(t, "the case topic streams", func() bool { return topicState(d.daemon, caseTopic) == replay.StateStreaming })
	used, _ := w.Sim.REST.APIUsage()
	w.Sim.REST.SetDailyAPILimit(used)
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
	eventually(t, "the case topic pauses at the request limit", func() bool {
		s := d.snapshotOf(t, caseTopic)
		return s.State == replay.StatePaused && strings.Contains(s.LastError, "REQUEST_LIMIT_EXCEEDED")
	})
	w.Sim.REST.SetDailyAPILimit(1_000_000)
	eventually(t, "every case of the overflowed transaction is in CM", func() bool { return w.CMHas("Case", ids...) })
	if n, err := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID()); err != nil || n != 0 {
		t.Fatalf("%d dead letters (%v), want the overflow resynced after the pause, not dead-lettered", n, err)
	}
	d.stop(t)
}

// A fetch that has no session and cannot get one (the token was revoked
// and these credentials cannot renew it) is no fault of the records: the
// worker stops with the reason, as the subscriber does, instead of
// dead-lettering every record it meets, and checkpoints nothing past it.
func TestAFetchWithoutARenewableSessionStopsTheWorkerInsteadOfDeadLettering(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id, _ := w.create(t, "Case", caseValues(0))
	if err := w.Sim.Org.Update(id, sfsim.Values{"Description": "edited: the UPDATE needs a fetch"}); err != nil {
		t.Fatal(err)
	}
	revoked, err := salesforce.NewClient(salesforce.Config{}, salesforce.StaticSession{
		AccessToken: "00D000000000001!revoked", InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(revoked.Close)
	r := w.startWith(t, setup{topic: caseTopic, objects: casesOnly}, func(c *pipeline.Config, o *pipeline.Options) {
		c.Start, o.Records = pipeline.StartEarliest, revoked
	})
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the worker still runs after its fetch lost the session for good")
	}
	if !errors.Is(r.err, salesforce.ErrCannotRefresh) || !errors.Is(r.err, salesforce.ErrInvalidSession) {
		t.Fatalf("Run = %v, want the refused session", r.err)
	}
	if n, err := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID()); err != nil || n != 0 {
		t.Fatalf("%d dead letters (%v), want none: the records are not at fault", n, err)
	}
	if !w.CMHas("Case", id) {
		t.Error("the CREATE before the refused fetch did not reach CM")
	}
	if bytes.Equal(w.Checkpoint(t, caseTopic), sfsim.EncodeReplayID(w.Sim.Bus.Tip())) {
		t.Error("the checkpoint passed the event whose fetch was refused")
	}
}
