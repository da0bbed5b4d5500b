package replay_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// The status document's field names are read by platform teams with
// redis-cli and their own tools: a status is written under the names the
// README lists, the ones the document had before figures.Topic renamed the
// Go fields included, with "uploaded" as the sum of the three upload kinds.
func TestTheStatusDocumentKeepsTheFieldNamesItsReadersUse(t *testing.T) {
	t.Parallel()
	s, prefix := newRedisStore(t)
	const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	st := replay.Status{State: replay.StateStreaming, Holder: "host-1", LastEventAt: at, ReplayAge: 1500 * time.Millisecond,
		Events: 1, CommentsNew: 2, CommentsUpdated: 3, CommentsMetadataUpdated: 4, CommentsUnchanged: 5, DeadLetters: 6,
		Keepalives: 7, Reconnects: 8, CommentsDeleted: 9, UploadFailures: 10, FetchCalls: 11, RecordsFetched: 12,
		OutstandingCredits: 13, EventsUnmapped: 14, EventsSkipped: 15, GoneBeforeFetch: 16, CoveredByBackfill: 17}
	if err := s.SaveStatus(t.Context(), org, topic, st); err != nil {
		t.Fatal(err)
	}
	client := newRedisClient(redisAddr())
	defer client.Close()
	doc, err := client.HGetAll(t.Context(), prefix+"{"+org+"}:status:"+topic).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"state": "streaming", "holder": "host-1", "last_event_at": "2026-05-06T07:08:09Z", "replay_age_ms": "1500",
		"received": "1", "new": "2", "updated": "3", "metadata_updated": "4", "uploaded": "9", "unchanged": "5",
		"dead_lettered": "6", "keepalives": "7", "reconnects": "8", "deleted": "9", "upload_failures": "10",
		"fetch_calls": "11", "records_fetched": "12", "outstanding_credits": "13", "events_unmapped": "14",
		"events_skipped": "15", "gone_before_fetch": "16", "covered_by_backfill": "17",
		"lag_ms": "", "last_keepalive_at": "", "last_checkpoint_at": "", "checkpoint_commit_at": "", "state_since": "",
		"last_error": "", "last_error_at": "",
	}
	for name, value := range want {
		got, ok := doc[name]
		if !ok {
			t.Errorf("the document has no field %q", name)
			continue
		}
		if value != "" && got != value {
			t.Errorf("field %q = %q, want %q", name, got, value)
		}
	}
	if doc["updated_at"] == "" {
		t.Errorf("the document has no updated_at: %v", doc)
	}
}

// A document written before the later figures existed (only the first
// fields) still reads, the missing figures as zero.
func TestAStatusDocumentOfAnOlderVersionStillReads(t *testing.T) {
	t.Parallel()
	s, prefix := newRedisStore(t)
	const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
	client := newRedisClient(redisAddr())
	defer client.Close()
	key := prefix + "{" + org + "}:status:" + topic
	if err := client.HSet(t.Context(), key, "state", "stopped", "holder", "old-host", "received", "42", "uploaded", "40",
		"unchanged", "1", "dead_lettered", "1", "replay_age_ms", "2000", "updated_at", "2026-05-06T07:08:09Z").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.SAdd(t.Context(), prefix+"{"+org+"}:statuses", topic).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Status(t.Context(), org, topic)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != replay.StateStopped || got.Holder != "old-host" || got.Events != 42 || got.CommentsUnchanged != 1 ||
		got.DeadLetters != 1 || got.ReplayAge != 2*time.Second || got.EventsSkipped != 0 || !got.CheckpointCommitAt.IsZero() {
		t.Errorf("old document read as %+v", got)
	}
}
