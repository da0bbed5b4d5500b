package salesforce

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// generatedRun records everything a generator run produced.
type generatedRun struct {
	events  []BusEvent
	headers []ChangeEventHeader
	records map[string][]Record
}

func runGenerator(t *testing.T, orgSeed, genSeed uint64, n int) generatedRun {
	t.Helper()
	org, clock := newOrgForTest(t, Config{Seed: orgSeed, CaseCommentChangeEvents: true, SendDataDifferences: true})
	g := NewGenerator(org, genSeed)
	var run generatedRun
	g.OnCommit = func(cm Commit) {
		clock.Advance(1500 * time.Millisecond)
		for _, ev := range cm.Events {
			run.events = append(run.events, ev.BusEvent)
			run.headers = append(run.headers, ev.Header)
		}
	}
	got, err := g.Generate(context.Background(), n)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if got != n || got != len(run.events) {
		t.Fatalf("Generate reported %d events, saw %d, asked for %d", got, len(run.events), n)
	}
	run.records = map[string][]Record{}
	for _, o := range org.Objects() {
		run.records[o.Name] = org.Records(o.Name)
	}
	return run
}

func TestGeneratorIsReproducibleFromItsSeed(t *testing.T) {
	t.Parallel()
	a, b := runGenerator(t, 5, 9, 300), runGenerator(t, 5, 9, 300)
	if len(a.events) != len(b.events) {
		t.Fatalf("runs produced %d and %d events", len(a.events), len(b.events))
	}
	for i := range a.events {
		if !bytes.Equal(a.events[i].Payload, b.events[i].Payload) || a.events[i].EventUUID != b.events[i].EventUUID {
			t.Fatalf("event %d differs between runs with the same seeds", i)
		}
	}
	if !reflect.DeepEqual(a.records, b.records) {
		t.Error("records differ between runs with the same seeds")
	}
	if c := runGenerator(t, 5, 10, 300); reflect.DeepEqual(a.records, c.records) {
		t.Error("another generator seed produced the same records")
	}
}

func TestGeneratorProducesRealisticSupportTraffic(t *testing.T) {
	t.Parallel()
	run := runGenerator(t, 1, 2, 600)
	kinds := map[string]int{}
	for _, h := range run.headers {
		kinds[h.EntityName+":"+string(h.ChangeType)]++
		if len(h.DiffFields) > 0 {
			kinds["diff"]++
		}
	}
	for _, want := range []string{"Case:CREATE", "Case:UPDATE", "Case:DELETE", "EmailMessage:CREATE", "EmailMessage:DELETE", "CaseComment:CREATE", "Task:CREATE", "diff"} {
		if kinds[want] == 0 {
			t.Errorf("no %s events in 600; saw %v", want, kinds)
		}
	}
	if kinds["EmailMessage:UNDELETE"]+kinds["CaseComment:UNDELETE"]+kinds["Case:UNDELETE"] == 0 {
		t.Errorf("no undeletes; saw %v", kinds)
	}
	var inbound, outbound int
	for _, r := range run.records["EmailMessage"] {
		if size := len(r.Get("TextBody").(string)) + len(r.Get("HtmlBody").(string)); size < 4500 || size > 11500 {
			t.Errorf("email %s bodies are %d bytes, want about 5–10 KB", r.ID(), size)
		}
		if r.Get("Incoming") == true {
			inbound++
		} else {
			outbound++
		}
	}
	if inbound == 0 || outbound == 0 {
		t.Errorf("%d inbound and %d outbound emails", inbound, outbound)
	}
}

// busEventCount counts what the bus holds (nothing is purged in these tests).
func busEventCount(org *Org) int {
	events, _ := org.bus.ReadAfter(org.bus.StartEarliest(), func(string) bool { return true }, 1<<30, 1<<40)
	return len(events)
}

func TestGenerateAppendsExactlyTheRequestedNumberOfEvents(t *testing.T) {
	t.Parallel()
	counts := []int{1, 2, 3, 4, 5, 7, 14, 15, 16, 17, 18, 25, 26, 27, 40, 61, 99, 250}
	configs := map[string]Config{
		"default org":           {},
		"comments publish too":  {CaseCommentChangeEvents: true, SendDataDifferences: true},
		"no account or contact": {NoChangeEvents: []string{"Account", "Contact"}},
	}
	for name, cfg := range configs {
		for _, replaySafe := range []bool{false, true} {
			for seed := uint64(1); seed <= 4; seed++ {
				for _, n := range counts {
					cfg.Seed = seed
					org, _ := newOrgForTest(t, cfg)
					g := NewGenerator(org, seed)
					g.SetReplaySafe(replaySafe)
					got, err := g.Generate(context.Background(), n)
					if err != nil {
						t.Fatalf("%s, replay-safe %v, seed %d: Generate(%d): %v", name, replaySafe, seed, n, err)
					}
					if onBus := busEventCount(org); got != n || onBus != n {
						t.Fatalf("%s, replay-safe %v, seed %d: Generate(%d) reported %d and appended %d events",
							name, replaySafe, seed, n, got, onBus)
					}
				}
			}
		}
	}
}

func TestGeneratingFewerEventsThanTheFirstStepMakesStillMakesSupportTraffic(t *testing.T) {
	t.Parallel()
	// Fewer than the first ordinary step's 15 accounts and contacts: a
	// contact and a web case start the traffic instead.
	run := runGenerator(t, 7, 7, 6)
	if run.headers[0].EntityName != "Contact" || run.headers[1].EntityName != "Case" {
		t.Fatalf("the first events are %s and %s, want a Contact and its Case", run.headers[0].EntityName, run.headers[1].EntityName)
	}
	for _, h := range run.headers {
		if len(h.RecordIDs) != 1 {
			t.Fatalf("a single-record step produced an event for %v", h.RecordIDs)
		}
	}
	again := runGenerator(t, 7, 7, 6)
	for i := range run.events {
		if !bytes.Equal(run.events[i].Payload, again.events[i].Payload) {
			t.Fatalf("event %d differs between runs with the same seeds", i)
		}
	}
}

func TestGenerateFailsInAnOrgThatPublishesNoChangeEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{NoChangeEvents: []string{"Account", "Contact", "Case", "EmailMessage", "Task"}})
	// Bounded, so a generator that loops forever fails here instead of
	// hanging the package.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := NewGenerator(org, 1).Generate(ctx, 5)
	if err == nil || n != 0 || !strings.Contains(err.Error(), "no change event") {
		t.Fatalf("Generate in a silent org: %d events, %v; want 0 and an error saying no activity produced an event", n, err)
	}
}

func TestGenerateStopsWhenTheContextIsCancelled(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := NewGenerator(org, 1).Generate(ctx, 100); err == nil || n != 0 {
		t.Errorf("Generate on a cancelled context: %d events, %v", n, err)
	}
}

func TestRunPacesEventsAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	g := NewGenerator(org, 3)
	events := 0
	g.OnCommit = func(cm Commit) { events += len(cm.Events) }
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := g.Run(ctx, 50); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// At 50 events/s for 0.3 s the generator may not run ahead by more
	// than one step's worth of events.
	if events == 0 || events > 30 {
		t.Errorf("%d events in 0.3 s at 50 events/s", events)
	}
	if err := g.Run(context.Background(), 0); err == nil {
		t.Error("Run accepted a zero rate")
	}
}

func TestSampleEmailEventsAreAboutTenKilobytes(t *testing.T) {
	t.Parallel()
	schemaJSON, events, err := SampleEmailEvents(1, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 20 {
		t.Fatalf("%d events, want 20", len(events))
	}
	org, _ := newOrgForTest(t, Config{})
	if s, _ := org.CurrentSchema("EmailMessage"); s.JSON != schemaJSON || events[0].SchemaID != s.ID {
		t.Error("sample schema is not the org's EmailMessage schema")
	}
	for i, ev := range events {
		if ev.Entity != "EmailMessage" || len(ev.Payload) < 8000 || len(ev.Payload) > 13000 {
			t.Errorf("event %d: entity %s, %d bytes", i, ev.Entity, len(ev.Payload))
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	org, _ := newOrgForTest(b, Config{})
	g := NewGenerator(org, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeEmailCreateEvent(b *testing.B) {
	_, events, err := SampleEmailEvents(1, 1)
	if err != nil {
		b.Fatal(err)
	}
	org, _ := newOrgForTest(b, Config{})
	s, _ := org.Schema(events[0].SchemaID)
	native, _, err := s.Codec().NativeFromBinary(events[0].Payload)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(events[0].Payload)))
	for b.Loop() {
		if _, err := s.Codec().BinaryFromNative(nil, native); err != nil {
			b.Fatal(err)
		}
	}
}
