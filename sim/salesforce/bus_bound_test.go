package salesforce

import (
	"bytes"
	"errors"
	"testing"
)

func TestABoundedBusKeepsTheNewestEventsAndExpiresTheRestAsRetentionWould(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	bus := org.Bus()
	bus.SetMaxRetained(3)
	first := bus.Append(BusEvent{Entity: "Case", Payload: []byte("1")})
	for i := range 4 {
		bus.Append(BusEvent{Entity: "Case", Payload: []byte{byte('2' + i)}})
	}
	if n := bus.Retained(); n != 3 {
		t.Fatalf("the bus holds %d events, want the newest 3", n)
	}
	if _, err := bus.StartAfter(EncodeReplayID(first)); !errors.Is(err, ErrReplayExpired) {
		t.Fatalf("resuming after the first event: %v, want ErrReplayExpired", err)
	}
	evs, _ := bus.ReadAfter(bus.StartEarliest(), func(string) bool { return true }, 10, 1<<20)
	if len(evs) != 3 || string(evs[0].Payload) != "3" || string(evs[2].Payload) != "5" {
		t.Fatalf("from the earliest position the bus delivers %d events starting %q; want events 3 to 5", len(evs), evs[0].Payload)
	}
}

func TestACompressingBusDeliversThePayloadsAsAppended(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	bus := org.Bus()
	plain := bus.Append(BusEvent{Entity: "Case", Payload: []byte("before compression")})
	bus.SetCompressed(true)
	text := bytes.Repeat([]byte("Dear support, my parcel arrived broken. "), 100)
	bus.Append(BusEvent{Entity: "Case", Payload: text})
	bus.Append(BusEvent{Entity: "Case", Payload: []byte{}})
	bus.mu.Lock()
	stored := len(bus.log[1].Payload)
	bus.mu.Unlock()
	if stored >= len(text)/4 {
		t.Fatalf("a %d-byte payload is stored in %d bytes; want it deflated", len(text), stored)
	}
	evs, _ := bus.ReadAfter(plain-1, func(string) bool { return true }, 10, 1<<20)
	if len(evs) != 3 || string(evs[0].Payload) != "before compression" || !bytes.Equal(evs[1].Payload, text) || len(evs[2].Payload) != 0 {
		t.Fatalf("read back %d events: %q, %d bytes, %d bytes", len(evs), evs[0].Payload, len(evs[1].Payload), len(evs[2].Payload))
	}
	// maxBytes counts the payloads as delivered, not as stored: past a
	// full read, not even an empty event fits.
	if evs, _ := bus.ReadAfter(plain, func(string) bool { return true }, 10, len(text)-1); len(evs) != 1 {
		t.Fatalf("%d events fit in %d bytes after the %d-byte one; want it alone", len(evs), len(text)-1, len(text))
	}
}
