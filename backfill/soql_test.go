package backfill

import (
	"testing"
	"time"
)

func TestQueriesReadInBackfillOrderWithinTheirBounds(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)
	t1 := t0.Add(time.Hour)
	for _, tc := range []struct {
		name   string
		fields []string
		b      bounds
		want   string
	}{
		{"a first read has no bounds", []string{"Subject", "Parent.CaseNumber"}, bounds{},
			"SELECT Id, SystemModstamp, IsDeleted, Subject, Parent.CaseNumber FROM EmailMessage ORDER BY SystemModstamp, Id"},
		{"fields already selected are not selected twice", []string{"id", "Subject", "subject", "IsDeleted"}, bounds{},
			"SELECT Id, SystemModstamp, IsDeleted, Subject FROM EmailMessage ORDER BY SystemModstamp, Id"},
		{"a resumed read starts at its lower bound, in milliseconds", nil, bounds{from: t0},
			"SELECT Id, SystemModstamp, IsDeleted FROM EmailMessage WHERE SystemModstamp >= 2026-03-01T12:00:00.123Z ORDER BY SystemModstamp, Id"},
		{"a window has both bounds", nil, bounds{from: t0, until: t1},
			"SELECT Id, SystemModstamp, IsDeleted FROM EmailMessage WHERE SystemModstamp >= 2026-03-01T12:00:00.123Z AND SystemModstamp <= 2026-03-01T13:00:00.123Z ORDER BY SystemModstamp, Id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := selectSOQL("EmailMessage", tc.fields, tc.b); got != tc.want {
				t.Fatalf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCountsTakeOnlyRecordsAfterThePositionWithIdBreakingTies(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		after Position
		want  string
	}{
		{"nothing read yet counts everything", Position{}, "SELECT COUNT() FROM Case"},
		{"a stamp without an Id counts that stamp", Position{Modstamp: t0},
			"SELECT COUNT() FROM Case WHERE SystemModstamp >= 2026-03-01T12:00:00.000Z"},
		{"a record's position counts later Ids of its stamp", Position{Modstamp: t0, ID: "5005e000001AbCdEAK"},
			"SELECT COUNT() FROM Case WHERE (SystemModstamp > 2026-03-01T12:00:00.000Z OR (SystemModstamp = 2026-03-01T12:00:00.000Z AND Id > '5005e000001AbCdEAK'))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := countSOQL("Case", bounds{}, tc.after); got != tc.want {
				t.Fatalf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPositionsOrderByStampThenByIdByteForByte(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := Position{Modstamp: t0, ID: "02s5e000001AAAAAAA"}
	b := Position{Modstamp: t0, ID: "02s5e000001aAAAAAA"} // lower case sorts after upper case
	c := Position{Modstamp: t0.Add(time.Millisecond), ID: "02s5e000000AAAAAAA"}
	if !b.After(a) || !c.After(b) || a.After(a) || !a.After(Position{}) {
		t.Fatal("positions are out of order")
	}
}

func TestAStoredWatermarkWhoseIdCouldNotBeASalesforceIdIsRefused(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"x' OR Id != '", "short", "02s5e000001AbCdEAK!"} {
		if _, err := positionOfWatermark(Position{Modstamp: time.Now(), ID: id}.watermark()); err == nil {
			t.Errorf("watermark ID %q accepted; it would go into SOQL", id)
		}
	}
}
