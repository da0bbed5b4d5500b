package pubsub

import (
	"context"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"strings"
	"unsafe"
)

// goavroRecord is the goavro path of decodeRecord: decode, then normalise.
func goavroRecord(s *WriterSchema, payload []byte) (map[string]any, []byte, error) {
	native, rest, err := s.nativeFromBinary(payload)
	if err != nil {
		return nil, nil, err
	}
	record := native.(map[string]any)
	s.root.normaliseRecord(record)
	return record, rest, nil
}

// simEvents generates varied traffic (every entity, creates, updates with
// diffs, deletes, undeletes, compound fields) and returns its events with
// their compiled schemas.
func simEvents(t *testing.T, n int) ([]sfsim.BusEvent, map[string]*WriterSchema) {
	t.Helper()
	org, err := sfsim.NewOrg(sfsim.Config{Seed: 8, CaseCommentChangeEvents: true, SendDataDifferences: true}, nil, sfsim.NewBus(nil, 0))
	if err != nil {
		t.Fatal(err)
	}
	g := sfsim.NewGenerator(org, 8)
	var events []sfsim.BusEvent
	g.OnCommit = func(c sfsim.Commit) {
		for _, ev := range c.Events {
			events = append(events, ev.BusEvent)
		}
	}
	if _, err := g.Generate(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*WriterSchema{}
	for _, ev := range events {
		if schemas[ev.SchemaID] != nil {
			continue
		}
		js, _ := org.Bus().Schema(ev.SchemaID)
		s, err := CompileSchema(ev.SchemaID, js)
		if err != nil {
			t.Fatal(err)
		}
		if s.fast == nil {
			t.Fatalf("the %s schema has no direct decoder", ev.Entity)
		}
		schemas[ev.SchemaID] = s
	}
	return events, schemas
}

func TestFastDecodeMatchesGoavro(t *testing.T) {
	t.Parallel()
	events, schemas := simEvents(t, 1500)
	for _, ev := range events {
		s := schemas[ev.SchemaID]
		got, rest, err := s.fast.decodeRecord(ev.Payload)
		if err != nil {
			t.Fatalf("%s event: fast decode failed: %v", ev.Entity, err)
		}
		want, wantRest, err := goavroRecord(s, ev.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(rest) != len(wantRest) {
			t.Fatalf("%s event decodes differently:\nfast:   %#v\ngoavro: %#v", ev.Entity, got, want)
		}
	}
}

// Damaged payloads: whatever the fast path accepts, goavro accepts with
// the same result; the rest goes to goavro, which reports the error.
func TestFastDecodeNeverAcceptsWhatGoavroWouldNot(t *testing.T) {
	t.Parallel()
	events, schemas := simEvents(t, 200)
	rng := rand.New(rand.NewPCG(1, 2))
	accepted, refused := 0, 0
	for i := range 20000 {
		ev := events[i%len(events)]
		s := schemas[ev.SchemaID]
		p := append([]byte(nil), ev.Payload...)
		switch rng.IntN(3) {
		case 0:
			p = p[:rng.IntN(len(p))]
		case 1:
			p[rng.IntN(len(p))] = byte(rng.Uint32())
		default:
			j := rng.IntN(min(len(p), 64)) // the header and first fields: lengths, counts, union indexes
			p[j] = byte(rng.Uint32())
		}
		got, rest, err := s.fast.decodeRecord(p)
		if err != nil {
			refused++
			continue
		}
		accepted++
		want, wantRest, gerr := goavroRecord(s, p)
		if gerr != nil {
			t.Fatalf("fast path accepted a payload goavro refuses (%v)", gerr)
		}
		if !reflect.DeepEqual(got, want) || len(rest) != len(wantRest) {
			t.Fatalf("a damaged payload decodes differently:\nfast:   %#v\ngoavro: %#v", got, want)
		}
	}
	if accepted == 0 || refused == 0 {
		t.Fatalf("accepted %d, refused %d damaged payloads: the test exercised one side only", accepted, refused)
	}
}

// Every type the direct decoder covers, in one schema, against goavro.
func TestFastDecodeCoversEveryTypeItClaims(t *testing.T) {
	t.Parallel()
	const schema = `{"type":"record","name":"T","namespace":"x","fields":[
	 {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
	 {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},{"name":"y","type":"bytes"},
	 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},{"name":"x","type":{"type":"fixed","name":"F","size":3}},
	 {"name":"a","type":{"type":"array","items":["null","string"]}},{"name":"m","type":{"type":"map","values":"long"}},
	 {"name":"n","type":["null",{"type":"record","name":"N","fields":[{"name":"e2","type":"E"}]}]},
	 {"name":"CreatedDate","type":["long","null"]},{"name":"u","type":["null","double"]}]}`
	s, err := CompileSchema("t", schema)
	if err != nil {
		t.Fatal(err)
	}
	if s.fast == nil {
		t.Fatal("no direct decoder for a schema it covers")
	}
	codec, _ := goavro.NewCodec(schema)
	datum := map[string]any{"b": true, "i": int32(-7), "l": int64(1) << 40, "f": float32(1.5), "d": 2.25, "s": "héllo",
		"y": []byte{0, 1}, "e": "B", "x": []byte("abc"), "a": []any{goavro.Union("string", "q"), nil}, "m": map[string]any{"k": int64(3)},
		"n": goavro.Union("x.N", map[string]any{"e2": "A"}), "CreatedDate": goavro.Union("long", int64(1700000000123)), "u": nil}
	payload, err := codec.BinaryFromNative(nil, datum)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.fast.decodeRecord(payload)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := goavroRecord(s, payload)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast:   %#v\ngoavro: %#v", got, want)
	}
}

func TestFastDecodeLeavesUncoveredSchemasToGoavro(t *testing.T) {
	t.Parallel()
	for _, schema := range []string{
		`{"type":"record","name":"T","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}}]}`,
		`{"type":"record","name":"T","fields":[{"name":"u","type":["null","string","long"]}]}`,
	} {
		s, err := CompileSchema("t", schema)
		if err != nil {
			t.Fatal(err)
		}
		if s.fast != nil {
			t.Fatalf("schema %s got a direct decoder", schema)
		}
	}
	raw, err := os.ReadFile("testdata/fixtures/AccountChangeEvent.reconstructed.avsc.json")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := CompileSchema("a", string(raw)); err != nil || s.fast == nil {
		t.Fatalf("the reconstructed Salesforce Account schema has no direct decoder (%v)", err)
	}
}

// The strings of an event's fields share one copy of its payload (one
// allocation per event, not per string), while the change event header's
// strings, which the pipeline may keep, are copied on their own so that
// they never pin a whole payload.
func TestFastDecodeSharesOnePayloadCopyExceptForTheHeader(t *testing.T) {
	t.Parallel()
	const schema = `{"type":"record","name":"T","namespace":"x","fields":[
	 {"name":"ChangeEventHeader","type":{"type":"record","name":"H","fields":[{"name":"recordIds","type":{"type":"array","items":"string"}}]}},
	 {"name":"Subject","type":["null","string"]},{"name":"TextBody","type":["null","string"]}]}`
	s, err := CompileSchema("t", schema)
	if err != nil || s.fast == nil {
		t.Fatalf("compile: %v (direct decoder %v)", err, s != nil && s.fast != nil)
	}
	codec, _ := goavro.NewCodec(schema)
	payload, err := codec.BinaryFromNative(nil, map[string]any{
		"ChangeEventHeader": map[string]any{"recordIds": []any{"500000000000001AAA"}},
		"Subject":           goavro.Union("string", "Printer on fire"), "TextBody": goavro.Union("string", strings.Repeat("Please help. ", 100))})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.fast.decodeRecord(payload)
	if err != nil {
		t.Fatal(err)
	}
	subject, body := got["Subject"].(string), got["TextBody"].(string)
	id := got["ChangeEventHeader"].(map[string]any)["recordIds"].([]any)[0].(string)
	if subject != "Printer on fire" || body != strings.Repeat("Please help. ", 100) || id != "500000000000001AAA" {
		t.Fatalf("decoded %q, %q, %q", subject, body, id)
	}
	at := func(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }
	// Within one copy of the payload the body starts right after the
	// subject and its one-byte length.
	if at(body)-at(subject) != uintptr(len(subject)+3) {
		t.Errorf("subject and body are %d bytes apart, want %d: they do not share one payload copy", at(body)-at(subject), len(subject)+3)
	}
	if lo, hi := at(subject)-uintptr(len(payload)), at(body)+uintptr(len(body)); at(id) > lo && at(id) < hi {
		t.Errorf("the header's record ID lies inside the shared payload copy; it must be its own string")
	}
	inPayload := func(s string) bool {
		start := uintptr(unsafe.Pointer(&payload[0]))
		return at(s) >= start && at(s) < start+uintptr(len(payload))
	}
	if inPayload(subject) || inPayload(body) {
		t.Errorf("decodeRecord's strings point into the caller's payload; they must be a copy")
	}
	// An owned payload (a received message's, never written again) is
	// shared as it is: no copy at all.
	owned, _, err := s.fast.decodeRecordOf(payload, true)
	if err != nil {
		t.Fatal(err)
	}
	if !inPayload(owned["Subject"].(string)) || !inPayload(owned["TextBody"].(string)) {
		t.Errorf("decoding an owned payload copied its strings")
	}
	if inPayload(owned["ChangeEventHeader"].(map[string]any)["recordIds"].([]any)[0].(string)) {
		t.Errorf("the header's record ID points into the payload; it must be its own string")
	}
}
