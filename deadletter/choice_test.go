package deadletter_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
)

func TestChoiceCheckRefusesNoneOrSeveralWaysAndNamesTheFlags(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		c        deadletter.Choice
		forPurge bool
		want     string // "" = accepted
	}{
		{"nothing", deadletter.Choice{}, false, "exactly one of --id ID (repeatable) or --all"},
		{"nothing purge", deadletter.Choice{}, true, "--before RFC3339"},
		{"ids and all", deadletter.Choice{IDs: []string{"1"}, All: true}, false, "exactly one"},
		{"all and before", deadletter.Choice{All: true, Before: now}, true, "exactly one"},
		{"before on retry", deadletter.Choice{Before: now}, false, "exactly one"},
		{"parked without all", deadletter.Choice{IDs: []string{"1"}, IncludeParked: true}, false, "--include-parked goes with"},
		{"parked on purge", deadletter.Choice{All: true, IncludeParked: true}, true, "--include-parked goes with"},
		{"ids", deadletter.Choice{IDs: []string{"1"}}, false, ""},
		{"all parked", deadletter.Choice{All: true, IncludeParked: true}, false, ""},
		{"before purge", deadletter.Choice{Before: now}, true, ""},
	} {
		err := tc.c.Check(tc.forPurge)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want accepted", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, deadletter.ErrChoice) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an ErrChoice saying %q", tc.name, err, tc.want)
		}
	}
}

func TestChooseAllForARetryLeavesTheParkedOnesUnlessAsked(t *testing.T) {
	s, _ := threeDeadLetters(t)
	ctx := t.Context()
	id, err := s.AddDeadLetter(ctx, "org", replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case",
		RecordID: "500000000000000AAZ", Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDeadLetterRetry(ctx, "org", id, replay.DeadLetterRetry{Error: "refused", ParkAt: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := deadletter.Choice{All: true}.Choose(ctx, s, "org", false)
	if err != nil || len(got.DeadLetters) != 3 || got.ParkedLeft != 1 {
		t.Fatalf("retry --all: %d chosen, %d parked left (%v); want 3 and 1", len(got.DeadLetters), got.ParkedLeft, err)
	}
	got, err = deadletter.Choice{All: true, IncludeParked: true}.Choose(ctx, s, "org", false)
	if err != nil || len(got.DeadLetters) != 4 || got.ParkedLeft != 0 {
		t.Fatalf("retry --all --include-parked: %d chosen, %d parked left (%v); want 4 and 0", len(got.DeadLetters), got.ParkedLeft, err)
	}
	got, err = deadletter.Choice{All: true}.Choose(ctx, s, "org", true)
	if err != nil || len(got.DeadLetters) != 4 {
		t.Fatalf("purge --all: %d chosen (%v); want all 4, parked included", len(got.DeadLetters), err)
	}
}

func TestChooseByIDAndBefore(t *testing.T) {
	s, ids := threeDeadLetters(t)
	ctx := t.Context()
	got, err := deadletter.Choice{IDs: []string{ids[0], "999999"}}.Choose(ctx, s, "org", false)
	if err != nil || len(got.DeadLetters) != 1 || got.DeadLetters[0].ID != ids[0] || len(got.Missing) != 1 {
		t.Fatalf("by ID: %+v (%v); want %s found and 999999 missing", got, err, ids[0])
	}
	if _, err := (deadletter.Choice{IDs: []string{"not an id"}}).Choose(ctx, s, "org", false); !errors.Is(err, deadletter.ErrChoice) || !strings.Contains(err.Error(), "--id") {
		t.Fatalf("an ID that cannot be one: %v, want an ErrChoice naming --id", err)
	}
	got, err = deadletter.Choice{Before: time.Now().Add(-90 * time.Minute)}.Choose(ctx, s, "org", true)
	if err != nil || len(got.DeadLetters) != 2 {
		t.Fatalf("before 90 min ago: %d (%v), want 2", len(got.DeadLetters), err)
	}
}

func TestNewestShowsAtMostTheLimitWithTheTotal(t *testing.T) {
	s, ids := threeDeadLetters(t)
	shown, total, err := deadletter.Newest(t.Context(), s, "org", 2)
	if err != nil || len(shown) != 2 || total != 3 || shown[0].ID != ids[2] {
		t.Fatalf("limit 2: %d shown of %d (%v), want the 2 newest of 3", len(shown), total, err)
	}
	if shown, _, err = deadletter.Newest(t.Context(), s, "org", 0); err != nil || len(shown) != 3 {
		t.Fatalf("limit 0: %d shown (%v), want all 3", len(shown), err)
	}
	if _, _, err := deadletter.Newest(t.Context(), s, "org", -1); !errors.Is(err, deadletter.ErrChoice) {
		t.Fatalf("limit -1: %v, want ErrChoice", err)
	}
}

func TestWriteChosenNamesTheMissingIDsAndTheParkedLeft(t *testing.T) {
	var b strings.Builder
	deadletter.WriteChosen(&b, deadletter.Chosen{Missing: []string{"42"}, ParkedLeft: 2})
	if got := b.String(); !strings.Contains(got, "42: not found") || !strings.Contains(got, "leaving 2 parked") {
		t.Fatalf("printed %q", got)
	}
}

func TestPurgeChosenPrintsEachAndTheTotalAndFailsOnMissingIDs(t *testing.T) {
	s, ids := threeDeadLetters(t)
	ctx := t.Context()
	got, err := deadletter.Choice{IDs: []string{ids[0], ids[1], "999999"}}.Choose(ctx, s, "org", true)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	err = deadletter.PurgeChosen(ctx, s, "org", got, &b)
	if err == nil || !strings.Contains(err.Error(), "1 of the given IDs do not exist") {
		t.Fatalf("a missing ID: %v, want an error counting it", err)
	}
	if !strings.Contains(b.String(), "purged 2 dead letters of org org") {
		t.Fatalf("printed %q", b.String())
	}
	if left, _ := deadletter.All(ctx, s, "org", nil); len(left) != 1 || left[0].ID != ids[2] {
		t.Fatalf("left %+v, want only %s", left, ids[2])
	}
}
