package uploader

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// initial_backoff is documented as the shortest wait and max_backoff as
// the longest; cenkalti/backoff's jitter went half below the first (a 1 s
// initial_backoff waited 0.52 s) and half above the second. (The draws
// themselves are the retry package's, tested there.)
func TestNoRetryWaitIsShorterThanInitialBackoffOrLongerThanMaxBackoff(t *testing.T) {
	t.Parallel()
	const retries = 200
	tests := []struct {
		name             string
		initial, maxWait time.Duration
	}{
		{"a cap close to the first wait, so every draw is near it", time.Second, 1500 * time.Millisecond},
		{"the defaults", time.Second, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t, commsmining.Options{})
			sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 503, Times: retries})
			h := newHarness(t, sim, Config{InitialBackoff: tt.initial, MaxBackoff: tt.maxWait}, Options[string]{})
			h.submit(mapCase(t, 1, "x", "New"))
			h.flush()
			waits := h.sleeps.waits()
			if len(waits) != retries {
				t.Fatalf("%d waits, want %d", len(waits), retries)
			}
			distinct := map[time.Duration]bool{}
			for i, w := range waits {
				if w < tt.initial || w > tt.maxWait {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, w, tt.initial, tt.maxWait)
				}
				distinct[w] = true
			}
			if len(distinct) < retries/2 {
				t.Errorf("only %d distinct waits in %d: the jitter is gone", len(distinct), retries)
			}
			if !h.outcomes.all()[0].Delivered() {
				t.Error("the comment was not delivered after the retries")
			}
		})
	}
}
