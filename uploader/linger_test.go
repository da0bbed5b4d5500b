package uploader

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// A lone delete leaves after DeleteLinger even while the sync linger is an
// hour: a half-empty delete batch must not hold the checkpoint back for
// the sync linger. The sync queued next to it still waits (no sync
// request), which shows the two lingers are separate.
func TestADeleteLeavesAfterDeleteLingerWhileSyncsStillLinger(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{Linger: time.Hour, DeleteLinger: 20 * time.Millisecond}, Options[string]{})
	kept := mapCase(t, 1, "text", "New")
	gone := mapper.Result{Kind: mapper.ResultDelete, CommentID: mapCase(t, 2, "", "").CommentID}
	h.submit(kept, gone)
	deadline := time.Now().Add(time.Minute) // generous: a loaded machine, not the linger, sets the pace
	for len(h.outcomes.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delete was not sent within a minute; DeleteLinger is not applied")
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := h.outcomes.all()
	if len(out) != 1 || out[0].CommentID != gone.CommentID || !out[0].Delivered() {
		t.Fatalf("outcomes %+v, want only the delete of %s, delivered", out, gone.CommentID)
	}
	st := sim.Stats()
	if st.Requests[commsmining.EndpointDelete] != 1 || st.Requests[commsmining.EndpointSync] != 0 {
		t.Fatalf("%d delete and %d sync requests, want 1 and 0 (the sync lingers for an hour)",
			st.Requests[commsmining.EndpointDelete], st.Requests[commsmining.EndpointSync])
	}
}

// Without DeleteLinger, deletes linger as long as syncs, as before.
func TestDeleteLingerDefaultsToLinger(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ linger, deleteLinger, want time.Duration }{
		{0, 0, 20 * time.Millisecond},
		{time.Second, 0, time.Second},
		{-1, 0, -1},
		{time.Second, 5 * time.Millisecond, 5 * time.Millisecond},
		{time.Second, -1, -1},
	} {
		got := Config{Linger: c.linger, DeleteLinger: c.deleteLinger}.withDefaults().DeleteLinger
		if got != c.want {
			t.Errorf("Linger %v, DeleteLinger %v: effective delete linger %v, want %v", c.linger, c.deleteLinger, got, c.want)
		}
	}
}
