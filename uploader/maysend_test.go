package uploader

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// A sender whose lease ran out (MaySend false) sends nothing more: no
// request reaches CM and its comments are reported not delivered, so the
// events stay before the checkpoint for the next holder.
func TestNothingLeavesOnceMaySendSaysNo(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	var may atomic.Bool
	may.Store(true)
	h := newHarness(t, sim, Config{}, Options[string]{MaySend: may.Load})
	h.submit(mapCases(t, 10, "first", "New")...)
	h.flush()
	if got := sim.Stats().Requests[commsmining.EndpointSync]; got != 1 {
		t.Fatalf("%d sync requests while allowed; want 1", got)
	}
	sim.ResetStats()

	may.Store(false)
	h.submit(mapCases(t, 10, "second", "New")...)
	h.flush()
	if got := sim.Stats().Requests[commsmining.EndpointSync]; got != 0 {
		t.Fatalf("%d sync requests after MaySend said no; want none", got)
	}
	out := h.outcomes.all()[10:]
	if len(out) != 10 {
		t.Fatalf("%d outcomes for the refused batch; want 10", len(out))
	}
	for _, o := range out {
		if o.Delivered() || o.DeadLettered() || !errors.Is(o.Err, ErrStopped) {
			t.Fatalf("outcome %+v; want not delivered, not dead-lettered, ErrStopped", o)
		}
	}
	if len(h.sleeps.waits()) != 0 {
		t.Fatalf("the refused request was retried (waits %v); it must stop at once", h.sleeps.waits())
	}
}
