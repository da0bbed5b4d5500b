package replay_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// The counters and times added for the daemon's monitoring (keepalives,
// reconnects, CM's billable units, fetches, credits) are stored and read
// back by both stores, and a rewrite clears them like every other field.
func TestStatusMonitoringFieldsRoundTripInBothStores(t *testing.T) {
	stores := map[string]func(t *testing.T) replay.Store{
		"redis": func(t *testing.T) replay.Store { s, _ := newRedisStore(t); return s },
		"file":  func(t *testing.T) replay.Store { return newFileStore(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
			at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
			want := replay.Status{State: replay.StateRecovering, Holder: "host-1",
				LastEventAt: at, LastKeepaliveAt: at.Add(time.Second),
				Received: 1, Uploaded: 2, Unchanged: 3, DeadLettered: 4, Keepalives: 5, Reconnects: 6,
				New: 7, Updated: 8, MetadataUpdated: 9, Deleted: 10, UploadFailures: 11,
				FetchCalls: 12, RecordsFetched: 13, OutstandingCredits: 14}
			if err := s.SaveStatus(t.Context(), org, topic, want); err != nil {
				t.Fatal(err)
			}
			got, err := s.Status(t.Context(), org, topic)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastKeepaliveAt.Equal(want.LastKeepaliveAt) || !got.LastEventAt.Equal(want.LastEventAt) {
				t.Errorf("times %v, %v; want %v, %v", got.LastEventAt, got.LastKeepaliveAt, want.LastEventAt, want.LastKeepaliveAt)
			}
			got.Topic, got.UpdatedAt, got.LastEventAt, got.LastKeepaliveAt = "", time.Time{}, time.Time{}, time.Time{}
			want.LastEventAt, want.LastKeepaliveAt = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if err := s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateStopped}); err != nil {
				t.Fatal(err)
			}
			got, err = s.Status(t.Context(), org, topic)
			if err != nil || got.New != 0 || got.OutstandingCredits != 0 || !got.LastKeepaliveAt.IsZero() {
				t.Errorf("after a rewrite: %+v (%v), want the new fields cleared", got, err)
			}
		})
	}
}
