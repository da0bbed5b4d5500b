package replaytest

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func runDaily(t *testing.T, open func(t *testing.T) replay.Store) {
	day := time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC)
	t.Run("a day without counts reads as zero", func(t *testing.T) {
		s := open(t)
		got, err := s.Daily(t.Context(), org, day)
		noErr(t, "Daily", err)
		if !got.IsZero() {
			t.Errorf("Daily = %+v, want zero", got)
		}
	})
	t.Run("additions add up per UTC day and org", func(t *testing.T) {
		s := open(t)
		noErr(t, "AddDaily", s.AddDaily(t.Context(), org, day, replay.DailyCounts{Comments: 3, Billable: 2}))
		// The same UTC day seen from another zone, from another writer.
		noErr(t, "AddDaily", s.AddDaily(t.Context(), org, day.In(time.FixedZone("UTC+5", 5*3600)), replay.DailyCounts{Comments: 4, Billable: 4}))
		noErr(t, "AddDaily", s.AddDaily(t.Context(), org, day.Add(time.Minute), replay.DailyCounts{Comments: 10, Billable: 1}))
		noErr(t, "AddDaily", s.AddDaily(t.Context(), otherOrg, day, replay.DailyCounts{Comments: 100}))
		for _, c := range []struct {
			org  string
			day  time.Time
			want replay.DailyCounts
		}{
			{org, day.Truncate(24 * time.Hour), replay.DailyCounts{Comments: 7, Billable: 6}},
			{org, day.Add(time.Minute), replay.DailyCounts{Comments: 10, Billable: 1}},
			{otherOrg, day, replay.DailyCounts{Comments: 100}},
			{org, day.Add(-24 * time.Hour), replay.DailyCounts{}},
		} {
			got, err := s.Daily(t.Context(), c.org, c.day)
			noErr(t, "Daily", err)
			if got != c.want {
				t.Errorf("Daily(%s, %s) = %+v, want %+v", c.org, c.day.Format(time.DateOnly), got, c.want)
			}
		}
	})
	t.Run("negative counts and bad orgs are refused", func(t *testing.T) {
		s := open(t)
		wantErr(t, "AddDaily", s.AddDaily(t.Context(), org, day, replay.DailyCounts{Comments: -1}), replay.ErrInvalid)
		wantErr(t, "AddDaily", s.AddDaily(t.Context(), "", day, replay.DailyCounts{Comments: 1}), replay.ErrInvalid)
	})
}
