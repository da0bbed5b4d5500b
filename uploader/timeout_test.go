package uploader

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// A sync of many comments that outlasted request_timeout was retried whole,
// for ever: against a CM that takes time per comment no attempt could
// succeed, and each one made CM read them all again (under load, the
// pipeline's billing test resent tens of thousands of unchanged comments).
// Each timeout now halves the comments per sync, so a flush finishes.
func TestASyncThatOutlastsTheRequestTimeoutIsSentAgainInSmallerSyncs(t *testing.T) {
	t.Parallel()
	const n = 1000
	// A sync of all 1,000 takes CM 1 s; the timeout lets through about 200.
	sim := startSim(t, commsmining.Options{SyncTimePerComment: time.Millisecond})
	h := newHarness(t, sim, Config{MaxBatchComments: n, RequestTimeout: 200 * time.Millisecond}, Options[string]{})
	h.submit(mapCases(t, n, "x", "New")...)
	h.flush() // hangs, then fails, without the fix

	if got := countBy(h.outcomes.all(), Outcome[string].Delivered); got != n {
		t.Errorf("%d of %d comments delivered", got, n)
	}
	if got := len(sim.Comments(project, source)); got != n {
		t.Errorf("CM holds %d comments, want %d", got, n)
	}
	st := h.up.Stats()
	if st.Shrinks == 0 {
		t.Errorf("stats %+v: want the timeouts to shrink the syncs", st)
	}
	if billed := sim.Stats().BillableUnits; billed != n {
		t.Errorf("CM billed %d units for %d new comments", billed, n)
	}
}

// The cap halves on each timeout (from what the timed-out sync carried, if
// that was less), never below one, and grows back by an eighth per sync
// accepted at the cap, never past MaxBatchComments.
func TestTheSyncCapHalvesOnATimeoutAndGrowsBackAnEighthPerSyncAtTheCap(t *testing.T) {
	t.Parallel()
	c := newBatchCap(1024)
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"a full sync times out", func() { c.shrink(1024) }, 512},
		{"a partial sync of 300 times out", func() { c.shrink(300) }, 150},
		{"a sync under the cap is accepted", func() { c.grow(100) }, 150},
		{"a sync at the cap is accepted", func() { c.grow(150) }, 168},
		{"a sync of two times out", func() { c.shrink(2) }, 1},
		{"one grows by one", func() { c.grow(1) }, 2},
		{"many syncs at the cap", func() {
			for range 200 {
				c.grow(c.get())
			}
		}, 1024},
	}
	for _, s := range steps {
		s.do()
		if got := c.get(); got != s.want {
			t.Fatalf("after %s: cap %d, want %d", s.name, got, s.want)
		}
	}
}
