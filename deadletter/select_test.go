package deadletter_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
)

// threeDeadLetters stores dead letters of one, two and three hours ago in
// a fresh embedded store and returns their IDs, oldest first.
func threeDeadLetters(t *testing.T) (replay.Store, []string) {
	t.Helper()
	s, err := replay.Open(t.Context(), replay.Config{FilePath: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var ids []string
	for i, age := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour} {
		id, err := s.AddDeadLetter(t.Context(), "org", replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case",
			RecordID: "500000000000000AA" + string(rune('A'+i)), Reason: "test", At: time.Now().Add(-age)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return s, ids
}

func TestPickReadsEachNamedDeadLetterOnceAndListsTheMissingOnes(t *testing.T) {
	s, ids := threeDeadLetters(t)
	found, missing, err := deadletter.Pick(t.Context(), s, "org", []string{ids[2], ids[0], ids[2], "999999"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || len(missing) != 1 || missing[0] != "999999" {
		t.Fatalf("found %d, missing %v; want 2 found and 999999 missing", len(found), missing)
	}
	if _, _, err := deadletter.Pick(t.Context(), s, "org", []string{"not an id"}); !errors.Is(err, replay.ErrInvalid) {
		t.Fatalf("an ID that cannot be one: %v, want replay.ErrInvalid", err)
	}
}

func TestPurgeBeforeATimeDeletesOnlyTheOlderDeadLettersAndToleratesGoneOnes(t *testing.T) {
	s, ids := threeDeadLetters(t)
	ctx := t.Context()
	older, err := deadletter.All(ctx, s, "org", deadletter.DeadLetteredBefore(time.Now().Add(-90*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if len(older) != 2 || older[0].ID != ids[1] || older[1].ID != ids[0] {
		t.Fatalf("dead letters older than 90 min: %+v, want %s and %s newest first", older, ids[1], ids[0])
	}
	if err := s.DeleteDeadLetter(ctx, "org", ids[0]); err != nil { // purged meanwhile
		t.Fatal(err)
	}
	var gone []string
	purged, err := deadletter.Purge(ctx, s, "org", older, func(d replay.DeadLetter, wasGone bool) {
		if wasGone {
			gone = append(gone, d.ID)
		}
	})
	if err != nil || purged != 1 || len(gone) != 1 || gone[0] != ids[0] {
		t.Fatalf("purged %d (%v), gone %v; want 1 purged and %s gone", purged, err, gone, ids[0])
	}
	left, err := deadletter.All(ctx, s, "org", nil)
	if err != nil || len(left) != 1 || left[0].ID != ids[2] {
		t.Fatalf("left %+v (%v), want only %s", left, err, ids[2])
	}
}
