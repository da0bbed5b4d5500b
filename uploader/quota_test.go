package uploader

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// TestAFullCMQuotaStopsTheUploaderWithoutDeadLetters: CM refuses a sync
// because the source's quota is full. Splitting the batch would turn good
// comments into dead letters and retrying would be refused again, so the
// uploader stops with ErrQuotaReached, every comment of the batch not
// delivered (so nothing is checkpointed past them) and none a dead letter.
func TestAFullCMQuotaStopsTheUploaderWithoutDeadLetters(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	sim.SetSourceQuota(project, source, 1)
	h := newHarness(t, sim, Config{}, Options[string]{})
	h.submit(mapCase(t, 1, "one", "New"), mapCase(t, 2, "two", "New"), mapCase(t, 3, "three", "New"))
	h.flushUntilStopped()
	err := h.awaitRunEnd(10 * time.Second)
	if !isFatal(err, ErrQuotaReached) {
		t.Fatalf("Run = %v, want a FatalError wrapping ErrQuotaReached", err)
	}
	for _, want := range []string{"quota", "raise the CM quota"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %q, want it to say %q", err, want)
		}
	}
	outs := h.outcomes.all()
	if len(outs) != 3 {
		t.Fatalf("%d outcomes, want 3", len(outs))
	}
	for _, o := range outs {
		if o.Delivered() || o.DeadLettered() || !isFatal(o.Err, ErrQuotaReached) {
			t.Errorf("outcome %+v: want not delivered, no dead letter, the quota error", o)
		}
	}
	if sim.Len(project, source) != 0 || sim.Stats().QuotaRefused != 1 {
		t.Fatalf("CM holds %d comments after %d quota refusals; want 0 after 1 (no split into smaller syncs)", sim.Len(project, source), sim.Stats().QuotaRefused)
	}
}
