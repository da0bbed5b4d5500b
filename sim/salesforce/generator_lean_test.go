package salesforce

import (
	"bytes"
	"context"
	"errors"
	"html"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestForgetDropsRecordsWithoutAnEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	keep, err := org.Create("Case", Values{"Subject": "keep"})
	if err != nil {
		t.Fatal(err)
	}
	drop, err := org.Create("Case", Values{"Subject": "drop"})
	if err != nil {
		t.Fatal(err)
	}
	tip := org.Bus().Tip()
	org.Forget(drop, "500000000000000AAA", "not an id")
	if _, ok := org.Get(drop); ok {
		t.Fatal("a forgotten record is still found by Get")
	}
	if _, ok := org.Get(keep); !ok {
		t.Fatal("Forget dropped a record it was not given")
	}
	if recs := org.Records("Case"); len(recs) != 1 || recs[0].ID() != keep {
		t.Fatalf("Records(Case) = %d records, want only %s", len(recs), keep)
	}
	if org.Bus().Tip() != tip {
		t.Fatal("Forget appended an event")
	}
	if err := org.Update(drop, Values{"Subject": "x"}); err == nil {
		t.Fatal("updating a forgotten record succeeded")
	}
}

func TestTrimThroughExpiresOnlyTheTrimmedPositions(t *testing.T) {
	t.Parallel()
	bus := NewBus(nil, 0)
	var ids []uint64
	for i := range 5 {
		ids = append(ids, bus.Append(BusEvent{Entity: "Case", Payload: []byte{byte(i)}}))
	}
	bus.TrimThrough(ids[2])
	if n := bus.Retained(); n != 2 {
		t.Fatalf("retained %d events after trimming 3 of 5, want 2", n)
	}
	if _, err := bus.StartAfter(EncodeReplayID(ids[1])); !errors.Is(err, ErrReplayExpired) {
		t.Fatalf("resuming before the trim point: %v, want ErrReplayExpired", err)
	}
	if _, err := bus.StartAfter(EncodeReplayID(ids[2])); err != nil {
		t.Fatalf("resuming at the trim point: %v, want nil (nothing after it was dropped)", err)
	}
	got, _ := bus.ReadAfter(bus.StartEarliest(), func(string) bool { return true }, 10, 1<<20)
	if len(got) != 2 || got[0].replayID != ids[3] {
		t.Fatalf("EARLIEST reads %d events starting at %v, want 2 starting at %d", len(got), got, ids[3])
	}
}

// Trimming must not copy the retained window (a driver trims every few
// milliseconds behind a window of thousands of events), must release the
// trimmed payloads, and must keep reads in order across later appends.
func TestTrimThroughReleasesWithoutCopying(t *testing.T) {
	bus := NewBus(nil, 0)
	for i := range 4096 {
		bus.Append(BusEvent{Entity: "Case", Payload: []byte{byte(i)}})
	}
	bus.mu.Lock()
	array := bus.log[:len(bus.log)] // the backing array, to look at the dropped entries
	bus.mu.Unlock()
	next := bus.Tip() - 4000
	if allocs := testing.AllocsPerRun(50, func() { bus.TrimThrough(next); next++ }); allocs != 0 {
		t.Errorf("TrimThrough allocates %v times per call, want 0 (it copied the retained log)", allocs)
	}
	dropped := len(array) - bus.Retained()
	for i, ev := range array[:dropped] {
		if ev.Payload != nil {
			t.Fatalf("trimmed entry %d of %d still references its payload, which then cannot be collected", i, dropped)
		}
	}
	if array[dropped].Payload == nil {
		t.Fatal("the oldest retained event lost its payload")
	}
	for i := range 3000 { // outgrow the capacity left after the trims
		bus.Append(BusEvent{Entity: "Case", Payload: []byte{byte(i)}})
	}
	got, _ := bus.ReadAfter(bus.StartEarliest(), func(string) bool { return true }, 1<<20, 1<<30)
	if len(got) != bus.Retained() || got[0].replayID != next {
		t.Fatalf("read %d events from %d, want %d from %d", len(got), got[0].replayID, bus.Retained(), next)
	}
	for i := 1; i < len(got); i++ {
		if got[i].replayID != got[i-1].replayID+1 {
			t.Fatalf("replay IDs jump from %d to %d after trims and appends", got[i-1].replayID, got[i].replayID)
		}
	}
}

// A bounded working set keeps the org at a constant size however long the
// generator runs, and the generator never touches a forgotten record.
func TestWorkingSetKeepsTheOrgSmall(t *testing.T) {
	t.Parallel()
	count := func(org *Org) int {
		n := 0
		for _, o := range []string{"Case", "EmailMessage", "Task", "CaseComment"} {
			n += org.Count(o)
		}
		return n
	}
	unbounded, _ := newOrgForTest(t, Config{})
	if _, err := NewGenerator(unbounded, 3).Generate(context.Background(), 4000); err != nil {
		t.Fatal(err)
	}
	org, _ := newOrgForTest(t, Config{})
	g := NewGenerator(org, 3)
	g.SetWorkingSet(20, 300)
	peak := 0
	for org.Bus().Tip()-replayIDBase < 4000 {
		if _, err := g.Step(); err != nil {
			t.Fatalf("step with a bounded working set: %v", err)
		}
		peak = max(peak, count(org))
	}
	// 4 lists of 20, plus what retired within the last 300 events (at
	// most one record per event) and one forget batch.
	if limit := 4*20 + 300 + forgetBatch; peak > limit {
		t.Fatalf("the org held up to %d records, want at most %d", peak, limit)
	}
	if n := count(unbounded); n < 2*peak {
		t.Fatalf("the unbounded org holds %d records, the bounded one peaked at %d: the bound saved nothing", n, peak)
	}
}

func TestReplaySafeTrafficHasNoDeletesOrTextEdits(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	g := NewGenerator(org, 5)
	g.SetReplaySafe(true)
	seen := map[ChangeType]int{}
	g.OnCommit = func(c Commit) {
		for _, ev := range c.Events {
			h := ev.Header
			seen[h.ChangeType]++
			if h.EntityName == "Case" && h.ChangeType == ChangeUpdate && slices.Contains(h.ChangedFields, "Description") {
				t.Errorf("a replay-safe run edited a case description")
			}
		}
	}
	if _, err := g.Generate(context.Background(), 3000); err != nil {
		t.Fatal(err)
	}
	if seen[ChangeDelete]+seen[ChangeUndelete] != 0 || seen[ChangeCreate] == 0 || seen[ChangeUpdate] == 0 {
		t.Fatalf("change types %v: want creates and updates, no deletes or undeletes", seen)
	}
}

func TestStepOneAppendsExactlyOneEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	g := NewGenerator(org, 9)
	if _, err := g.Generate(context.Background(), 50); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		before := org.Bus().Tip()
		n, err := g.StepOne()
		if err != nil || n != 1 || org.Bus().Tip() != before+1 {
			t.Fatalf("StepOne = %d, %v and appended %d events, want exactly 1", n, err, org.Bus().Tip()-before)
		}
	}
}

// The one-pass HTML writer must render exactly what html.EscapeString and
// a newline replacement did before it.
func TestWriteHTMLLinesMatchesEscapeString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", "a < b > c & d 'e' \"f\"", "line\nnext\n", "\n\n<&>'\"\n", "last week's numbers\n> quoted"} {
		var b strings.Builder
		writeHTMLLines(&b, s)
		want := strings.ReplaceAll(html.EscapeString(s), "\n", "<br>\n")
		if b.String() != want {
			t.Errorf("writeHTMLLines(%q) = %q, want %q", s, b.String(), want)
		}
	}
}

// The direct Avro writer must produce goavro's bytes: every event of a
// varied run (creates, updates with diffs, deletes, undeletes, compound
// address fields) decodes with the schema's codec and re-encodes through
// goavro to the very same payload.
func TestEncodeFastMatchesGoavro(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{CaseCommentChangeEvents: true, SendDataDifferences: true})
	g := NewGenerator(org, 17)
	var events []BusEvent
	g.OnCommit = func(c Commit) {
		clock.Advance(time.Second)
		for _, ev := range c.Events {
			events = append(events, ev.BusEvent)
		}
	}
	if _, err := g.Generate(context.Background(), 1500); err != nil {
		t.Fatal(err)
	}
	entities := map[string]bool{}
	for _, ev := range events {
		s, ok := org.Schema(ev.SchemaID)
		if !ok {
			t.Fatalf("no schema %s", ev.SchemaID)
		}
		native, rest, err := s.Codec().NativeFromBinary(ev.Payload)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%s event does not decode: %v (%d bytes left)", ev.Entity, err, len(rest))
		}
		again, err := s.Codec().BinaryFromNative(nil, native)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, ev.Payload) {
			t.Fatalf("%s event: goavro re-encodes %d bytes differently from the %d written", ev.Entity, len(again), len(ev.Payload))
		}
		entities[ev.Entity] = true
	}
	for _, e := range []string{"Account", "Contact", "Case", "EmailMessage", "Task", "CaseComment"} {
		if !entities[e] {
			t.Errorf("no %s event was checked", e)
		}
	}
}

// Values the fast writer does not know fall back to goavro, which decides.
func TestEncodeFastFallsBackOnOddValues(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	s, _ := org.CurrentSchema("Case")
	h := ChangeEventHeader{EntityName: "Case", ChangeType: ChangeUpdate}
	if _, ok := s.encodeFast(h, Values{"Subject": int64(3)}); ok {
		t.Fatal("an int for a string field was encoded")
	}
	if _, ok := s.encodeFast(ChangeEventHeader{ChangeType: "NOT_A_TYPE"}, nil); ok {
		t.Fatal("an unknown change type was encoded")
	}
	if _, err := s.encode(h, Values{"Subject": int64(3)}); err == nil {
		t.Fatal("goavro accepted an int for a string field")
	}
}

// BenchmarkGenerateLean is a step as the demo runs it: a bounded working
// set and a bus trimmed behind the tip, so the heap stays the size of a
// long run's rather than growing with b.N.
func BenchmarkGenerateLean(b *testing.B) {
	org, _ := newOrgForTest(b, Config{})
	g := NewGenerator(org, 1)
	g.SetWorkingSet(256, 6000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Step(); err != nil {
			b.Fatal(err)
		}
		if tip := org.Bus().Tip(); tip%1000 == 0 && tip > 5000 {
			org.Bus().TrimThrough(tip - 5000)
		}
	}
}
