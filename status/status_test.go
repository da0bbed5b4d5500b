package status

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/replay"
)

const org = "00Dstatus0000000001"

// embedded opens a fresh embedded store.
func embedded(t *testing.T) replay.Store {
	t.Helper()
	s, err := replay.Open(t.Context(), replay.Config{FilePath: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAStoreWithoutAnyStatusReportsNoTopicButItsDeadLetters(t *testing.T) {
	s := embedded(t)
	_, err := s.AddDeadLetter(t.Context(), org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", RecordID: "500000000000001AAA", Reason: "test", At: time.Now()})
	must(t, err)
	rep, err := Read(t.Context(), s, org, []string{"/data/CaseChangeEvent"}, health.Policy{}, time.Now())
	must(t, err)
	if len(rep.Topics) != 0 || rep.DeadLetters != 1 || rep.ParkedDeadLetters != 0 || rep.Org != org {
		t.Fatalf("report %+v, want no topic and 1 dead letter", rep)
	}
}

func TestEveryStoredOrConfiguredTopicGetsOneJudgedRowWithItsCheckpoint(t *testing.T) {
	s := embedded(t)
	ctx := t.Context()
	now := time.Now()
	const expired, fresh, unrun = "/data/CaseChangeEvent", "/data/TaskChangeEvent", "/data/EmailMessageChangeEvent"
	for topic, age := range map[string]time.Duration{expired: 80 * time.Hour, fresh: time.Minute} {
		lease, err := s.AcquireLease(ctx, org, topic, "host-1", time.Minute)
		must(t, err)
		must(t, s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{0, 1}, CommitTime: now.Add(-age)}))
		must(t, s.ReleaseLease(ctx, lease))
		must(t, s.SaveStatus(ctx, org, topic, replay.Status{State: replay.StateStreaming, Holder: "host-1", UpdatedAt: now,
			CommentsNew: 3, CommentsUpdated: 2}))
	}
	rep, err := Read(ctx, s, org, []string{fresh, unrun}, health.Policy{}, now)
	must(t, err)
	if len(rep.Topics) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(rep.Topics), rep.Topics)
	}
	rows := map[string]Topic{}
	for i, row := range rep.Topics {
		rows[row.Topic] = row
		if i > 0 && rep.Topics[i-1].Topic >= row.Topic {
			t.Fatalf("rows not sorted: %q before %q", rep.Topics[i-1].Topic, row.Topic)
		}
	}
	if r := rows[expired]; !r.ReplayExpired || r.Configured || r.Checkpoint != "ok" || r.ReplayID != "0001" || r.BillableUnits != 5 {
		t.Errorf("the expired topic: %+v", r)
	}
	if r := rows[fresh]; r.ReplayExpired || !r.Configured || r.ReplayAgeSeconds == nil || *r.ReplayAgeSeconds < 59 || !r.Ready {
		t.Errorf("the fresh topic: %+v", r)
	}
	if r := rows[unrun]; r.State != StateNone || r.Checkpoint != "none" || r.UpdatedAt != nil || r.Ready {
		t.Errorf("the configured topic no worker ran: %+v", r)
	}
}
