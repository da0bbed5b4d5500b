package figures_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/figures"
)

func TestBillableUnitsAreNewAndTextUpdatesAndUploadedAddsMetadataUpdates(t *testing.T) {
	topic := figures.Topic{CommentsNew: 5, CommentsUpdated: 2, CommentsMetadataUpdated: 1, CommentsUnchanged: 9}
	if topic.BillableUnits() != 7 || topic.Uploaded() != 8 {
		t.Errorf("billable %d, uploaded %d; want 7 and 8", topic.BillableUnits(), topic.Uploaded())
	}
}

func TestTheStreamWasLastHeardAtTheLaterOfEventAndKeepalive(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		event, keepalive, want time.Time
	}{
		{at, at.Add(time.Second), at.Add(time.Second)},
		{at.Add(time.Second), at, at.Add(time.Second)},
		{time.Time{}, at, at},
		{time.Time{}, time.Time{}, time.Time{}},
	} {
		if got := (figures.Topic{LastEventAt: tc.event, LastKeepaliveAt: tc.keepalive}).LastHeard(); !got.Equal(tc.want) {
			t.Errorf("event %v, keepalive %v: LastHeard %v, want %v", tc.event, tc.keepalive, got, tc.want)
		}
	}
}

func TestTheReplayAgeIsNeverNegative(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// A commit time ahead of this host's clock (skew between hosts).
	age, known := figures.Topic{CheckpointCommitAt: now.Add(time.Minute)}.ReplayAgeAt(now)
	if !known || age != 0 {
		t.Errorf("age %s (known %v), want 0, known", age, known)
	}
	age, known = figures.Topic{ReplayAge: time.Hour, UpdatedAt: now.Add(time.Minute)}.ReplayAgeAt(now)
	if !known || age != time.Hour {
		t.Errorf("age %s (known %v), want the reported hour", age, known)
	}
}

func TestTotalSumsEveryCounterAndNothingElse(t *testing.T) {
	one := figures.Topic{Topic: "/data/A", State: figures.StateStreaming, Events: 1, Keepalives: 2, Reconnects: 3, OutstandingCredits: 4,
		CommentsNew: 5, CommentsUpdated: 6, CommentsMetadataUpdated: 7, CommentsUnchanged: 8, CommentsDeleted: 9,
		UploadFailures: 10, DeadLetters: 11, EventsUnmapped: 12, EventsSkipped: 13, GoneBeforeFetch: 14, CoveredByBackfill: 15,
		FetchCalls: 16, RecordsFetched: 17, LastError: "x", UpdatedAt: time.Now()}
	got := figures.Total([]figures.Topic{one, one})
	// Every int64 field is a counter: each must be doubled, so a counter
	// added to Topic and forgotten in Total fails here.
	v, g := reflect.ValueOf(one), reflect.ValueOf(got)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		switch f.Type.Kind() {
		case reflect.Int64:
			if f.Type == reflect.TypeFor[time.Duration]() {
				continue
			}
			if g.Field(i).Int() != 2*v.Field(i).Int() {
				t.Errorf("Total's %s = %d, want %d", f.Name, g.Field(i).Int(), 2*v.Field(i).Int())
			}
		}
	}
	if got.Topic != "" || got.State != "" || got.LastError != "" || !got.UpdatedAt.IsZero() {
		t.Errorf("Total kept a name, state, error or time: %+v", got)
	}
}
