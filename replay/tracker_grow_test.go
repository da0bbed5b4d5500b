package replay

import (
	"encoding/binary"
	"testing"
	"time"
)

// An idle tracker holds a few slots, not its capacity's worth (sfcdc serve
// keeps thousands of mostly idle topics); the ring grows as the window
// fills, keeping every position in flight, and never past the capacity's
// power of two.
func TestTrackerRingStartsSmallAndGrowsKeepingPositions(t *testing.T) {
	tr := NewTracker(1000)
	if len(tr.slots) != initialSlots {
		t.Fatalf("an idle tracker of capacity 1000 holds %d slots, want %d", len(tr.slots), initialSlots)
	}
	id := func(n int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }
	var seqs []Seq
	for i := range 1000 {
		seq, err := tr.Track(t.Context(), id(i), time.Unix(int64(i), 0))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
		if i == 10 { // finish a few early so the window wraps before it grows
			for _, s := range seqs[:5] {
				if err := tr.Done(s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(tr.slots) != 1024 {
		t.Fatalf("%d slots with 995 positions in flight, want 1024", len(tr.slots))
	}
	for i, s := range seqs[5:] {
		if err := tr.Done(s); err != nil {
			t.Fatal(err)
		}
		if c := tr.Committable(); binary.BigEndian.Uint64(c.ReplayID) != uint64(i+5) || !c.CommitTime.Equal(time.Unix(int64(i+5), 0)) {
			t.Fatalf("after finishing position %d the commit is %x at %v", i+5, c.ReplayID, c.CommitTime)
		}
	}
}
