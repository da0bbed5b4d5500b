package salesforce

import (
	"errors"
	"testing"
)

func TestABoundedBusKeepsTheNewestEventsAndExpiresTheRestAsRetentionWould(t *testing.T) {
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
