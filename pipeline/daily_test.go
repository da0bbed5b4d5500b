package pipeline

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// The tally counts what CM accepted by the UTC day each comment was sent
// in, writes each day once per flush (nothing when nothing was sent), and
// keeps what a failed write could not add for the next flush.
func TestTheDailyTallyCountsByUTCDayAndWritesOncePerFlush(t *testing.T) {
	t.Parallel()
	store := simworld.NewFileStore(t)
	const org = "00D000000000001"
	evening := time.Date(2026, 12, 7, 23, 59, 59, 0, time.UTC)
	now := evening
	tally := newDailyTally(store, org, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	tally.action(mapper.ActionCreate, 2)
	tally.action(mapper.ActionUpdateText, 1)
	tally.action(mapper.ActionUpdateMetadata, 4) // sent, not billed
	tally.action(mapper.ActionUnchanged, 9)      // not sent
	tally.action(mapper.ActionDelete, 9)         // not a comment sent
	now = evening.Add(2 * time.Second)           // past midnight UTC
	tally.action(mapper.ActionCreate, 1)
	tally.flush(t.Context())
	tally.flush(t.Context()) // nothing new: adds nothing
	for day, want := range map[time.Time]replay.DailyCounts{evening: {Comments: 7, Billable: 3}, now: {Comments: 1, Billable: 1}} {
		if got, err := store.Daily(t.Context(), org, day); err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", day.Format(time.DateOnly), got, err, want)
		}
	}

	// A write that fails keeps its counts for the next flush.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tally.action(mapper.ActionCreate, 5)
	tally.flush(ctx)
	tally.flush(t.Context())
	if got, _ := store.Daily(t.Context(), org, now); got.Comments != 6 {
		t.Fatalf("after a failed write and a good one the day holds %d comments; want 6", got.Comments)
	}
}

// BenchmarkDailyTallyAction is the cost each accepted comment adds on
// the uploader's outcome path: a lock and a map update, no allocation,
// no store call.
func BenchmarkDailyTallyAction(b *testing.B) {
	tally := newDailyTally(simworld.NewFileStore(b), "00D000000000001", nil, slog.New(slog.DiscardHandler))
	b.ReportAllocs()
	for b.Loop() {
		tally.action(mapper.ActionCreate, 1)
	}
}
