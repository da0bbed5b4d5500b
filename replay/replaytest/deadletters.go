package replaytest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sfcdc/sfcdc/replay"
)

// addDeadLetters adds n dead letters and returns their IDs in order.
func addDeadLetters(t *testing.T, s replay.Store, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range n {
		id, err := s.AddDeadLetter(t.Context(), org, replay.DeadLetter{
			Topic: topic, RecordID: fmt.Sprintf("02s%015d", i), Reason: "cm rejected comment", Attempts: 1,
		})
		noErr(t, "AddDeadLetter", err)
		out[i] = id
	}
	return out
}

func idNumber(t *testing.T, id string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		t.Fatalf("dead letter ID %q is not a number", id)
	}
	return n
}

func runDeadLetters(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a dead letter is read back with every field and no body by default", func(t *testing.T) {
		s := open(t)
		at := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
		want := replay.DeadLetter{
			Topic: topic, Object: object, ReplayID: binaryReplayID, RecordID: "02s5e00000ABCDE",
			Reason: "undecodable payload", Error: "decode event: truncated", Attempts: 3, At: at,
			EventTime: time.Date(2026, 2, 3, 4, 1, 2, 3, time.UTC),
		}
		id, err := s.AddDeadLetter(t.Context(), org, want)
		noErr(t, "AddDeadLetter", err)
		got, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		want.ID = id
		if !deadLetterEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		if got.Body != nil {
			t.Errorf("Body = %q, want none", got.Body)
		}
	})

	t.Run("the store stamps the time and keeps an optional body", func(t *testing.T) {
		s := open(t)
		id, err := s.AddDeadLetter(t.Context(), org, replay.DeadLetter{Object: object, RecordID: "r", Reason: "x", Body: []byte("{\x00}")})
		noErr(t, "AddDeadLetter", err)
		got, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if !recent(got.At) || !bytes.Equal(got.Body, []byte("{\x00}")) {
			t.Errorf("At = %v, Body = %q", got.At, got.Body)
		}
	})

	t.Run("IDs grow and pages run newest first to an empty page", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 7)
		for i := 1; i < len(added); i++ {
			if idNumber(t, added[i]) <= idNumber(t, added[i-1]) {
				t.Fatalf("IDs %v do not grow", added)
			}
		}
		var seen []string
		before := ""
		for {
			page, err := s.ListDeadLetters(t.Context(), org, before, 3)
			noErr(t, "ListDeadLetters", err)
			if len(page) == 0 {
				break
			}
			if len(page) > 3 {
				t.Fatalf("page of %d, limit 3", len(page))
			}
			for _, d := range page {
				seen = append(seen, d.ID)
			}
			before = page[len(page)-1].ID
		}
		for i, id := range seen {
			if want := added[len(added)-1-i]; id != want {
				t.Fatalf("listed %v, want %v reversed", seen, added)
			}
		}
		if len(seen) != len(added) {
			t.Errorf("listed %d, added %d", len(seen), len(added))
		}
	})

	t.Run("a deleted dead letter is gone and deleting it again is not found", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 3)
		noErr(t, "DeleteDeadLetter", s.DeleteDeadLetter(t.Context(), org, added[1]))
		_, err := s.DeadLetter(t.Context(), org, added[1])
		wantErr(t, "DeadLetter after delete", err, replay.ErrNotFound)
		wantErr(t, "DeleteDeadLetter again", s.DeleteDeadLetter(t.Context(), org, added[1]), replay.ErrNotFound)
		n, err := s.CountDeadLetters(t.Context(), org)
		noErr(t, "CountDeadLetters", err)
		if n != 2 {
			t.Errorf("count %d, want 2", n)
		}
		page, err := s.ListDeadLetters(t.Context(), org, "", 0)
		noErr(t, "ListDeadLetters", err)
		if len(page) != 2 || page[0].ID != added[2] || page[1].ID != added[0] {
			t.Errorf("listed %+v", page)
		}
	})

	t.Run("purge removes all and later IDs still grow", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 5)
		n, err := s.PurgeDeadLetters(t.Context(), org)
		noErr(t, "PurgeDeadLetters", err)
		if n != 5 {
			t.Errorf("purged %d, want 5", n)
		}
		count, err := s.CountDeadLetters(t.Context(), org)
		noErr(t, "CountDeadLetters", err)
		if count != 0 {
			t.Errorf("count after purge %d", count)
		}
		next := addDeadLetters(t, s, 1)
		if idNumber(t, next[0]) <= idNumber(t, added[len(added)-1]) {
			t.Errorf("ID after purge %s, want more than %s", next[0], added[len(added)-1])
		}
		n, err = s.PurgeDeadLetters(t.Context(), otherOrg)
		noErr(t, "PurgeDeadLetters of an empty org", err)
		if n != 0 {
			t.Errorf("purged %d of an empty org", n)
		}
	})

	t.Run("a missing dead letter is not found and a malformed ID is invalid", func(t *testing.T) {
		s := open(t)
		_, err := s.DeadLetter(t.Context(), org, "12345")
		wantErr(t, "DeadLetter", err, replay.ErrNotFound)
		for _, id := range []string{"", "0", "007", "-1", "+1", "x", "1:2"} {
			_, err := s.DeadLetter(t.Context(), org, id)
			wantErr(t, "DeadLetter "+id, err, replay.ErrInvalid)
			_, err = s.ListDeadLetters(t.Context(), org, id+"x", 1)
			wantErr(t, "ListDeadLetters before "+id+"x", err, replay.ErrInvalid)
		}
	})

	t.Run("without an event time it reads back zero", func(t *testing.T) {
		s := open(t)
		id := addDeadLetters(t, s, 1)[0]
		got, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if !got.EventTime.IsZero() || !got.RetriedAt.IsZero() {
			t.Errorf("EventTime = %v, RetriedAt = %v, want zero", got.EventTime, got.RetriedAt)
		}
	})

	t.Run("a failed retry adds an attempt, replaces the error and keeps the rest", func(t *testing.T) {
		s := open(t)
		at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		orig := replay.DeadLetter{
			Topic: topic, Object: object, ReplayID: binaryReplayID, RecordID: "02s5e00000ABCDE",
			Reason: "cm rejected comment", Error: "first", Attempts: 2, At: at, EventTime: at.Add(-time.Minute),
		}
		id, err := s.AddDeadLetter(t.Context(), org, orig)
		noErr(t, "AddDeadLetter", err)
		got, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "second"})
		noErr(t, "RecordDeadLetterRetry", err)
		want := orig
		want.ID, want.Attempts, want.Error, want.RetriedAt = id, 3, "second", got.RetriedAt
		if !recent(got.RetriedAt) || !deadLetterEqual(got, want) {
			t.Errorf("returned %+v\nwant     %+v with a recent RetriedAt", got, want)
		}
		read, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if !deadLetterEqual(read, got) {
			t.Errorf("read back %+v\nreturned  %+v", read, got)
		}
		long := strings.Repeat("é", 3000)
		got, err = s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: long})
		noErr(t, "RecordDeadLetterRetry with a long error", err)
		if got.Attempts != 4 || len(got.Error) > 4096 || !strings.HasPrefix(long, got.Error) || !utf8.ValidString(got.Error) {
			t.Errorf("attempts %d, error of %d bytes (valid UTF-8 %v)", got.Attempts, len(got.Error), utf8.ValidString(got.Error))
		}
	})

	t.Run("concurrent failed retries each count", func(t *testing.T) {
		s := open(t)
		id := addDeadLetters(t, s, 1)[0]
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: fmt.Sprintf("try %d", i)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			noErr(t, "RecordDeadLetterRetry", err)
		}
		got, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if got.Attempts != 1+n {
			t.Errorf("attempts %d after %d concurrent retries of 1, want %d", got.Attempts, n, 1+n)
		}
	})

	t.Run("a retry of a deleted or malformed dead letter writes nothing", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 2)
		noErr(t, "DeleteDeadLetter", s.DeleteDeadLetter(t.Context(), org, added[0]))
		_, err := s.RecordDeadLetterRetry(t.Context(), org, added[0], replay.DeadLetterRetry{Error: "late"})
		wantErr(t, "RecordDeadLetterRetry of a deleted one", err, replay.ErrNotFound)
		_, err = s.DeadLetter(t.Context(), org, added[0])
		wantErr(t, "DeadLetter after a retry of a deleted one", err, replay.ErrNotFound)
		n, err := s.CountDeadLetters(t.Context(), org)
		noErr(t, "CountDeadLetters", err)
		if n != 1 {
			t.Errorf("count %d, want 1", n)
		}
		_, err = s.RecordDeadLetterRetry(t.Context(), org, "0x", replay.DeadLetterRetry{Error: "e"})
		wantErr(t, "RecordDeadLetterRetry of a malformed ID", err, replay.ErrInvalid)
		_, err = s.RecordDeadLetterRetry(t.Context(), otherOrg, added[1], replay.DeadLetterRetry{Error: "e"})
		wantErr(t, "RecordDeadLetterRetry in another org", err, replay.ErrNotFound)
	})

	t.Run("a failed retry stores when the next attempt is due", func(t *testing.T) {
		s := open(t)
		id := addDeadLetters(t, s, 1)[0]
		next := time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)
		got, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "e", NextAttemptAt: next, ParkAt: 5})
		noErr(t, "RecordDeadLetterRetry", err)
		read, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if !got.NextAttemptAt.Equal(next) || !read.NextAttemptAt.Equal(next) || got.Parked || read.Parked || read.Attempts != 2 {
			t.Errorf("returned %+v\nread back %+v\nwant attempts 2, next attempt %v, not parked", got, read, next)
		}
	})

	t.Run("the retry that reaches the limit parks the dead letter for good", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 3) // each with 1 attempt
		id := added[1]
		next := time.Now().Add(time.Hour)
		got, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "e2", NextAttemptAt: next, ParkAt: 3})
		noErr(t, "RecordDeadLetterRetry", err)
		if got.Parked {
			t.Fatalf("parked after attempt 2 of 3: %+v", got)
		}
		got, err = s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "e3", NextAttemptAt: next, ParkAt: 3})
		noErr(t, "RecordDeadLetterRetry", err)
		if !got.Parked || got.Attempts != 3 || !got.NextAttemptAt.IsZero() || got.Error != "e3" {
			t.Fatalf("after attempt 3 of 3: %+v, want parked without a next attempt", got)
		}
		// A later retry without a limit (an operator's) keeps it parked.
		got, err = s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "e4", NextAttemptAt: next})
		noErr(t, "RecordDeadLetterRetry", err)
		read, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		if !got.Parked || !read.Parked || read.Attempts != 4 || !read.NextAttemptAt.IsZero() {
			t.Errorf("after a retry of a parked one: returned %+v, read %+v", got, read)
		}
		wantParked(t, s, 1)
		page, err := s.ListDeadLetters(t.Context(), org, "", 0)
		noErr(t, "ListDeadLetters", err)
		for _, d := range page {
			if d.Parked != (d.ID == id) {
				t.Errorf("listed %s with parked %v", d.ID, d.Parked)
			}
		}
		noErr(t, "DeleteDeadLetter", s.DeleteDeadLetter(t.Context(), org, id))
		wantParked(t, s, 0)
	})

	t.Run("purge leaves no parked dead letters", func(t *testing.T) {
		s := open(t)
		added := addDeadLetters(t, s, 2)
		for _, id := range added {
			_, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "e", ParkAt: 1})
			noErr(t, "RecordDeadLetterRetry", err)
		}
		wantParked(t, s, 2)
		_, err := s.PurgeDeadLetters(t.Context(), org)
		noErr(t, "PurgeDeadLetters", err)
		wantParked(t, s, 0)
		_, err = s.RecordDeadLetterRetry(t.Context(), org, added[0], replay.DeadLetterRetry{Error: "e", ParkAt: -1})
		wantErr(t, "RecordDeadLetterRetry with a negative limit", err, replay.ErrInvalid)
	})

	t.Run("dead letters without reason or identifiers are refused", func(t *testing.T) {
		s := open(t)
		for _, d := range []replay.DeadLetter{
			{Topic: topic, RecordID: "r"},
			{Topic: topic, Reason: "x"},
			{RecordID: "r", Reason: "x"},
			{Topic: topic, RecordID: "r", Reason: "x", Attempts: -1},
			{Topic: topic, RecordID: "r", Reason: "x", Parked: true},
		} {
			_, err := s.AddDeadLetter(t.Context(), org, d)
			wantErr(t, fmt.Sprintf("AddDeadLetter %+v", d), err, replay.ErrInvalid)
		}
	})
}

func deadLetterEqual(a, b replay.DeadLetter) bool {
	return a.ID == b.ID && a.Topic == b.Topic && a.Object == b.Object && bytes.Equal(a.ReplayID, b.ReplayID) &&
		a.RecordID == b.RecordID && a.Reason == b.Reason && a.Error == b.Error && a.Attempts == b.Attempts &&
		a.At.Equal(b.At) && a.EventTime.Equal(b.EventTime) && a.RetriedAt.Equal(b.RetriedAt) &&
		a.NextAttemptAt.Equal(b.NextAttemptAt) && a.Parked == b.Parked && bytes.Equal(a.Body, b.Body)
}

func wantParked(t *testing.T, s replay.Store, want int) {
	t.Helper()
	n, err := s.CountParkedDeadLetters(t.Context(), org)
	noErr(t, "CountParkedDeadLetters", err)
	if n != want {
		t.Errorf("%d parked dead letters, want %d", n, want)
	}
}
