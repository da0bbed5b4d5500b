package replaytest

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func runWatermarks(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("an object without a watermark reads as not found", func(t *testing.T) {
		s := open(t)
		_, err := s.Watermark(t.Context(), org, object)
		wantErr(t, "Watermark", err, replay.ErrNotFound)
	})

	t.Run("a watermark is replaced and read back exactly", func(t *testing.T) {
		s := open(t)
		first := replay.Watermark{Modstamp: time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC), RecordID: "02s5e00000ABCDEAAA"}
		second := replay.Watermark{Modstamp: first.Modstamp.Add(time.Second)}
		for _, w := range []replay.Watermark{first, second} {
			noErr(t, "SaveWatermark", s.SaveWatermark(t.Context(), org, object, w))
			got, err := s.Watermark(t.Context(), org, object)
			noErr(t, "Watermark", err)
			if !got.Modstamp.Equal(w.Modstamp) || got.RecordID != w.RecordID {
				t.Errorf("got %+v, want %+v", got, w)
			}
		}
		_, err := s.Watermark(t.Context(), org, "Case")
		wantErr(t, "Watermark of another object", err, replay.ErrNotFound)
	})

	t.Run("a Bulk job's position is kept with the watermark and cleared by the next save", func(t *testing.T) {
		s := open(t)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		reading := replay.Watermark{Modstamp: at, RecordID: "02s5e00000ABCDEAAA", BulkJob: "7505e00000AbCdEAAA", BulkLocator: "MTAwMDA"}
		done := replay.Watermark{Modstamp: at.Add(time.Minute), RecordID: "02s5e00000ABCDFAAA"}
		for _, w := range []replay.Watermark{reading, done} {
			noErr(t, "SaveWatermark", s.SaveWatermark(t.Context(), org, object, w))
			got, err := s.Watermark(t.Context(), org, object)
			noErr(t, "Watermark", err)
			if !got.Modstamp.Equal(w.Modstamp) || got.RecordID != w.RecordID || got.BulkJob != w.BulkJob || got.BulkLocator != w.BulkLocator {
				t.Errorf("got %+v, want %+v", got, w)
			}
		}
	})

	t.Run("a Bulk position that is not one is refused", func(t *testing.T) {
		s := open(t)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, w := range []replay.Watermark{
			{Modstamp: at, BulkLocator: "MTAwMDA"},                            // a locator without its job
			{Modstamp: at, BulkJob: "not an id"},                              // not a Salesforce ID
			{Modstamp: at, BulkJob: "7505e00000AbCdEAAA", BulkLocator: "a b"}, // a locator is printable ASCII without spaces
			{Modstamp: at, BulkJob: "7505e00000AbCdEAAA", BulkLocator: strings.Repeat("x", 2000)},
		} {
			wantErr(t, "SaveWatermark", s.SaveWatermark(t.Context(), org, object, w), replay.ErrInvalid)
		}
	})

	t.Run("a watermark without modstamp is refused, unless it is a Bulk job before its first page", func(t *testing.T) {
		s := open(t)
		for _, w := range []replay.Watermark{
			{RecordID: "x"},
			{},
			{BulkJob: "7505e00000AbCdEAAA", BulkLocator: "MTAwMDA"}, // a later page needs the position before it
			{BulkJob: "7505e00000AbCdEAAA", RecordID: "500000000000001AAA"},
		} {
			wantErr(t, "SaveWatermark", s.SaveWatermark(t.Context(), org, object, w), replay.ErrInvalid)
		}
		jobOnly := replay.Watermark{BulkJob: "7505e00000AbCdEAAA"}
		noErr(t, "SaveWatermark of a job alone", s.SaveWatermark(t.Context(), org, object, jobOnly))
		got, err := s.Watermark(t.Context(), org, object)
		noErr(t, "Watermark", err)
		if got != jobOnly {
			t.Errorf("read back %+v, want %+v", got, jobOnly)
		}
		// Its first settled page replaces it with a position.
		at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		next := replay.Watermark{Modstamp: at, RecordID: "500000000000001AAA", BulkJob: "7505e00000AbCdEAAA", BulkLocator: "MTAwMDA"}
		noErr(t, "SaveWatermark", s.SaveWatermark(t.Context(), org, object, next))
		if got, err = s.Watermark(t.Context(), org, object); err != nil || !got.Modstamp.Equal(at) || got.BulkLocator != "MTAwMDA" {
			t.Errorf("after the first page: %+v, %v", got, err)
		}
	})
}

// hashBatch returns n comments with distinct binary hashes.
func hashBatch(prefix string, n int) map[string]replay.Hashes {
	batch := make(map[string]replay.Hashes, n)
	for i := range n {
		id := fmt.Sprintf("%s-%06d", prefix, i)
		batch[id] = replay.Hashes{
			Content:  string([]byte{0x00, 0xFF, byte(i), byte(i >> 8), 0x00}),
			Metadata: fmt.Sprintf("meta\x00%d", i),
		}
	}
	return batch
}

func ids(batch map[string]replay.Hashes) []string {
	out := make([]string, 0, len(batch))
	for id := range batch {
		out = append(out, id)
	}
	return out
}

func runHashes(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("comments without hashes are absent from the result", func(t *testing.T) {
		s := open(t)
		got, err := s.Hashes(t.Context(), org, []string{"nope", "neither"})
		noErr(t, "Hashes", err)
		if len(got) != 0 {
			t.Errorf("got %v, want nothing", got)
		}
		got, err = s.Hashes(t.Context(), org, nil)
		noErr(t, "Hashes of no IDs", err)
		if len(got) != 0 {
			t.Errorf("got %v, want nothing", got)
		}
	})

	t.Run("binary hashes are replaced and read back exactly", func(t *testing.T) {
		s := open(t)
		id := "comment/ä:1"
		noErr(t, "SaveHashes", s.SaveHashes(t.Context(), org, map[string]replay.Hashes{id: {Content: "\x00\xff", Metadata: ""}}))
		want := replay.Hashes{Content: "\xff\x00c", Metadata: "\x00m"}
		noErr(t, "SaveHashes", s.SaveHashes(t.Context(), org, map[string]replay.Hashes{id: want}))
		got, err := s.Hashes(t.Context(), org, []string{id, "missing"})
		noErr(t, "Hashes", err)
		if len(got) != 1 || got[id] != want {
			t.Errorf("got %q, want only %q: %q", got, id, want)
		}
		other, err := s.Hashes(t.Context(), otherOrg, []string{id})
		noErr(t, "Hashes of another org", err)
		if len(other) != 0 {
			t.Errorf("another org sees %v", other)
		}
	})

	t.Run("a batch of 5000 is saved, read and deleted", func(t *testing.T) {
		s := open(t)
		batch := hashBatch("big", 5000)
		noErr(t, "SaveHashes", s.SaveHashes(t.Context(), org, batch))
		all := append(ids(batch), "unknown-1", "unknown-2")
		got, err := s.Hashes(t.Context(), org, all)
		noErr(t, "Hashes", err)
		if !maps.Equal(got, batch) {
			t.Fatalf("read %d hashes, want the %d saved", len(got), len(batch))
		}
		half := all[:2500]
		noErr(t, "DeleteHashes", s.DeleteHashes(t.Context(), org, half))
		got, err = s.Hashes(t.Context(), org, all)
		noErr(t, "Hashes after delete", err)
		for _, id := range half {
			if _, ok := got[id]; ok {
				t.Fatalf("deleted comment %s still has hashes", id)
			}
		}
		if len(got) != 2500 {
			t.Errorf("%d hashes left, want 2500", len(got))
		}
	})

	t.Run("deleting unknown comments and empty batches is harmless", func(t *testing.T) {
		s := open(t)
		noErr(t, "DeleteHashes", s.DeleteHashes(t.Context(), org, []string{"never-saved"}))
		noErr(t, "DeleteHashes of nothing", s.DeleteHashes(t.Context(), org, nil))
		noErr(t, "SaveHashes of nothing", s.SaveHashes(t.Context(), org, nil))
	})

	t.Run("invalid hash arguments are refused", func(t *testing.T) {
		s := open(t)
		wantErr(t, "SaveHashes with empty ID", s.SaveHashes(t.Context(), org, map[string]replay.Hashes{"": {}}), replay.ErrInvalid)
		wantErr(t, "SaveHashes with a huge digest", s.SaveHashes(t.Context(), org,
			map[string]replay.Hashes{"c": {Content: strings.Repeat("x", 256)}}), replay.ErrInvalid)
		_, err := s.Hashes(t.Context(), "", []string{"c"})
		wantErr(t, "Hashes without org", err, replay.ErrInvalid)
	})
}

func runStatus(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a topic without status reads as not found", func(t *testing.T) {
		s := open(t)
		_, err := s.Status(t.Context(), org, topic)
		wantErr(t, "Status", err, replay.ErrNotFound)
		list, err := s.Statuses(t.Context(), org)
		noErr(t, "Statuses", err)
		if len(list) != 0 {
			t.Errorf("Statuses = %+v, want none", list)
		}
	})

	t.Run("every status figure is read back and UpdatedAt is stamped", func(t *testing.T) {
		s := open(t)
		at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
		want := replay.Status{
			State: replay.StateStreaming, Holder: holderA,
			StateSince: at.Add(-time.Hour), LastEventAt: at, LastKeepaliveAt: at.Add(time.Second),
			LastCheckpointAt: at.Add(-time.Second), CheckpointCommitAt: at.Add(-90 * time.Second),
			ReplayAge: 90 * time.Second, Lag: 1500 * time.Millisecond,
			Events: 10, Keepalives: 3, Reconnects: 1, OutstandingCredits: 50,
			CommentsNew: 4, CommentsUpdated: 2, CommentsMetadataUpdated: 1, CommentsUnchanged: 2, CommentsDeleted: 1,
			UploadFailures: 1, DeadLetters: 1, EventsUnmapped: 5, EventsSkipped: 6, GoneBeforeFetch: 7, CoveredByBackfill: 8,
			FetchCalls: 9, RecordsFetched: 11,
			LastError: "upload batch: 503 Service Unavailable", LastErrorAt: at.Add(-time.Minute),
		}
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, want))
		got, err := s.Status(t.Context(), org, topic)
		noErr(t, "Status", err)
		if !recent(got.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, want the time of the write", got.UpdatedAt)
		}
		want.Topic, want.UpdatedAt = topic, got.UpdatedAt
		if !statusEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})

	t.Run("a later status replaces every field, clearing the ones left empty", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateFailed, LastError: "boom", Events: 5}))
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateStreaming}))
		got, err := s.Status(t.Context(), org, topic)
		noErr(t, "Status", err)
		if got.State != replay.StateStreaming || got.LastError != "" || got.Events != 0 {
			t.Errorf("got %+v, want a clean streaming status", got)
		}
	})

	t.Run("statuses of all topics are listed in topic order", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateStreaming}))
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic2, replay.Status{State: replay.StateStandby}))
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), otherOrg, topic, replay.Status{State: replay.StateStopped}))
		list, err := s.Statuses(t.Context(), org)
		noErr(t, "Statuses", err)
		if len(list) != 2 || list[0].Topic != topic2 || list[1].Topic != topic || list[0].State != replay.StateStandby {
			t.Errorf("Statuses = %+v, want %s (standby) then %s", list, topic2, topic)
		}
	})

	t.Run("a batch of statuses writes each document as SaveStatus would and refuses exactly the bad one", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateFailed, LastError: "boom", Events: 5}))
		errs := s.SaveStatuses(t.Context(), []replay.TopicStatus{
			{Org: org, Topic: topic, Status: replay.Status{State: replay.StateStreaming, Events: 7, LastError: errorWithSecrets}},
			{Org: org, Topic: topic2, Status: replay.Status{State: replay.StateStandby, Holder: holderB}},
			{Org: "", Topic: topic, Status: replay.Status{State: replay.StateStreaming}},
			{Org: otherOrg, Topic: topic3, Status: replay.Status{State: replay.StateStopped}},
		})
		if len(errs) != 4 {
			t.Fatalf("SaveStatuses of 4 answered %d errors", len(errs))
		}
		for _, i := range []int{0, 1, 3} {
			noErr(t, fmt.Sprintf("SaveStatuses[%d]", i), errs[i])
		}
		if errs[2] == nil || !strings.Contains(errs[2].Error(), "save status") {
			t.Errorf("the document without an org: %v, want refused as a status write", errs[2])
		}
		got, err := s.Status(t.Context(), org, topic)
		noErr(t, "Status", err)
		if got.State != replay.StateStreaming || got.Events != 7 || !recent(got.UpdatedAt) {
			t.Errorf("the replaced document: %+v, want streaming, 7 events, stamped now", got)
		}
		noSecret(t, "the batch's LastError", got.LastError)
		list, err := s.Statuses(t.Context(), org)
		noErr(t, "Statuses", err)
		if len(list) != 2 || list[0].Topic != topic2 || list[0].Holder != holderB || list[1].Topic != topic {
			t.Errorf("Statuses = %+v, want %s (standby, %s) then %s", list, topic2, holderB, topic)
		}
		other, err := s.Status(t.Context(), otherOrg, topic3)
		noErr(t, "Status of the other org", err)
		if other.State != replay.StateStopped {
			t.Errorf("the other org's document: %+v, want stopped", other)
		}
	})

	t.Run("a long last error is cut to 4 KiB, not refused", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{LastError: strings.Repeat("é", 5000)}))
		got, err := s.Status(t.Context(), org, topic)
		noErr(t, "Status", err)
		if len(got.LastError) > 4096 || len(got.LastError) < 4000 || !strings.HasPrefix(got.LastError, "éé") {
			t.Errorf("LastError of %d bytes", len(got.LastError))
		}
	})
}

// statusEqual compares statuses with time.Time.Equal (stores keep wall
// clock time only); Objects are not stored.
func statusEqual(a, b replay.Status) bool {
	times := [][2]*time.Time{
		{&a.StateSince, &b.StateSince}, {&a.LastEventAt, &b.LastEventAt}, {&a.LastKeepaliveAt, &b.LastKeepaliveAt},
		{&a.LastCheckpointAt, &b.LastCheckpointAt}, {&a.CheckpointCommitAt, &b.CheckpointCommitAt},
		{&a.LastErrorAt, &b.LastErrorAt}, {&a.UpdatedAt, &b.UpdatedAt},
	}
	for _, p := range times {
		if !p[0].Equal(*p[1]) {
			return false
		}
		*p[0], *p[1] = time.Time{}, time.Time{}
	}
	a.Objects, b.Objects = nil, nil
	return reflect.DeepEqual(a, b)
}
