package replay_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// rid makes a replay ID that encodes n, so tests can tell positions apart;
// the tracker itself never looks inside.
func rid(n int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func ridNumber(b []byte) int { return int(binary.BigEndian.Uint64(b)) }

// trackN tracks n positions with replay IDs 1..n.
func trackN(t testing.TB, tr *replay.Tracker, n int) []replay.Seq {
	t.Helper()
	seqs := make([]replay.Seq, n)
	for i := range n {
		seq, err := tr.Track(context.Background(), rid(i+1), time.Unix(int64(i+1), 0))
		if err != nil {
			t.Fatalf("Track: %v", err)
		}
		seqs[i] = seq
	}
	return seqs
}

func TestTrackerCommitsOnlyTheContiguousPrefix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		track  int
		done   []int // 1-based positions, in completion order
		commit int   // replay ID number committable after; 0 = none
	}{
		{"nothing done commits nothing", 3, nil, 0},
		{"the first done commits the first", 3, []int{1}, 1},
		{"a later one done alone commits nothing", 3, []int{3}, 0},
		{"a gap holds the commit before it", 4, []int{1, 2, 4}, 2},
		{"filling the gap commits through what finished after it", 4, []int{4, 2, 3, 1}, 4},
		{"completion in reverse commits all at the end", 5, []int{5, 4, 3, 2, 1}, 5},
		{"in order commits each", 3, []int{1, 2, 3}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := replay.NewTracker(10)
			seqs := trackN(t, tr, c.track)
			for _, d := range c.done {
				noErr(t, "Done", tr.Done(seqs[d-1]))
			}
			got := tr.Committable()
			if c.commit == 0 {
				if got.Seq != 0 || got.ReplayID != nil {
					t.Errorf("Committable = %+v, want nothing", got)
				}
				return
			}
			if ridNumber(got.ReplayID) != c.commit || got.Seq != seqs[c.commit-1] || !got.CommitTime.Equal(time.Unix(int64(c.commit), 0)) {
				t.Errorf("Committable = %+v, want position %d", got, c.commit)
			}
		})
	}
}

func TestTrackerRefusesDoneForPositionsNotInFlight(t *testing.T) {
	t.Parallel()
	tr := replay.NewTracker(4)
	seqs := trackN(t, tr, 2)
	noErr(t, "Done", tr.Done(seqs[1]))
	cases := []struct {
		name string
		seq  replay.Seq
	}{
		{"a position done twice", seqs[1]},
		{"a position never tracked", seqs[1] + 5},
		{"position zero", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, "Done", tr.Done(c.seq), replay.ErrInvalid)
		})
	}
	noErr(t, "Done", tr.Done(seqs[0]))
	wantErr(t, "Done of a committed position", tr.Done(seqs[0]), replay.ErrInvalid)
	_, err := tr.Track(t.Context(), nil, time.Time{})
	wantErr(t, "Track of an empty replay ID", err, replay.ErrInvalid)
}

func TestTrackerKeepaliveCommitsOnlyWhenNothingIsInFlight(t *testing.T) {
	t.Parallel()
	at := time.Unix(1000, 0)
	t.Run("with nothing tracked the keepalive becomes committable", func(t *testing.T) {
		tr := replay.NewTracker(4)
		if !tr.TrackIdle(rid(50), at) {
			t.Fatal("TrackIdle refused on an idle tracker")
		}
		got := tr.Committable()
		if ridNumber(got.ReplayID) != 50 || !got.CommitTime.Equal(at) || got.Seq == 0 {
			t.Errorf("Committable = %+v", got)
		}
	})
	t.Run("with an event in flight the keepalive is ignored", func(t *testing.T) {
		tr := replay.NewTracker(4)
		seqs := trackN(t, tr, 2)
		noErr(t, "Done", tr.Done(seqs[1]))
		if tr.TrackIdle(rid(50), at) {
			t.Fatal("TrackIdle accepted with position 1 unfinished")
		}
		noErr(t, "Done", tr.Done(seqs[0]))
		if ridNumber(tr.Committable().ReplayID) != 2 {
			t.Errorf("Committable = %+v, want position 2", tr.Committable())
		}
	})
	t.Run("after everything finished the keepalive moves the commit past it", func(t *testing.T) {
		tr := replay.NewTracker(4)
		seqs := trackN(t, tr, 1)
		noErr(t, "Done", tr.Done(seqs[0]))
		before := tr.Committable()
		if !tr.TrackIdle(rid(50), at) {
			t.Fatal("TrackIdle refused")
		}
		after := tr.Committable()
		if after.Seq <= before.Seq || ridNumber(after.ReplayID) != 50 {
			t.Errorf("Committable %+v after %+v", after, before)
		}
		next := trackN(t, tr, 1)
		if next[0] <= after.Seq {
			t.Errorf("position after the keepalive %d, want more than %d", next[0], after.Seq)
		}
	})
	t.Run("the same keepalive twice changes nothing", func(t *testing.T) {
		tr := replay.NewTracker(4)
		tr.TrackIdle(rid(50), at)
		first := tr.Committable()
		if !tr.TrackIdle(rid(50), at.Add(time.Minute)) || tr.Committable().Seq != first.Seq {
			t.Errorf("Committable moved from %+v to %+v", first, tr.Committable())
		}
		if tr.TrackIdle(nil, at) {
			t.Error("an empty replay ID was accepted")
		}
	})
}

func TestTrackerFullWindowBlocksTrackUntilTheHeadIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := replay.NewTracker(2)
		seqs := trackN(t, tr, 2)
		returned := make(chan replay.Seq, 1)
		go func() {
			seq, err := tr.Track(context.Background(), rid(3), time.Time{})
			if err != nil {
				t.Errorf("Track: %v", err)
			}
			returned <- seq
		}()
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("Track returned with the window full")
		default:
		}
		noErr(t, "Done", tr.Done(seqs[1])) // not the head: still full
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("Track returned although the head is unfinished")
		default:
		}
		noErr(t, "Done", tr.Done(seqs[0]))
		if seq := <-returned; seq != seqs[1]+1 {
			t.Errorf("Track returned %d, want %d", seq, seqs[1]+1)
		}
		if tr.InFlight() != 1 || tr.Cap() != 2 {
			t.Errorf("InFlight %d, Cap %d", tr.InFlight(), tr.Cap())
		}
	})
}

func TestTrackerFullWindowTrackEndsWithTheContext(t *testing.T) {
	t.Parallel()
	tr := replay.NewTracker(1)
	trackN(t, tr, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := tr.Track(ctx, rid(2), time.Time{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Track: %v, want context.Canceled", err)
	}
}

// TestTrackerRandomCompletionNeverCommitsPastAnUnfinishedPosition is the
// property test: for random sizes, capacities and completion orders, with
// completions racing the reader, every committable position has all earlier
// positions done, commits never go backwards, and the final commit is the
// last position.
func TestTrackerRandomCompletionNeverCommitsPastAnUnfinishedPosition(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5fcdc))
	for round := range 200 {
		n := 1 + rng.IntN(300)
		capacity := 1 + rng.IntN(64)
		checkRandomRound(t, rng, round, n, capacity)
	}
}

func checkRandomRound(t *testing.T, rng *rand.Rand, round, n, capacity int) {
	tr := replay.NewTracker(capacity)
	done := make([]bool, n+1) // by replay ID number; only this goroutine writes
	var pending []replay.Seq
	bySeq := map[replay.Seq]int{}
	lastCommit := 0
	check := func() {
		c := tr.Committable()
		if c.Seq == 0 {
			return
		}
		k := ridNumber(c.ReplayID)
		for i := 1; i <= k; i++ {
			if !done[i] {
				t.Fatalf("round %d: committable %d while %d is unfinished", round, k, i)
			}
		}
		if k < lastCommit {
			t.Fatalf("round %d: commit went back from %d to %d", round, lastCommit, k)
		}
		lastCommit = k
	}
	finishRandom := func() {
		i := rng.IntN(len(pending))
		seq := pending[i]
		pending[i] = pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		done[bySeq[seq]] = true
		noErr(t, "Done", tr.Done(seq))
		check()
	}
	for id := 1; id <= n; id++ {
		for tr.InFlight() == capacity { // the reader would block: finish one
			finishRandom()
		}
		seq, err := tr.Track(context.Background(), rid(id), time.Time{})
		noErr(t, "Track", err)
		pending = append(pending, seq)
		bySeq[seq] = id
		for len(pending) > 0 && rng.IntN(3) == 0 {
			finishRandom()
		}
	}
	for len(pending) > 0 {
		finishRandom()
	}
	if got := ridNumber(tr.Committable().ReplayID); got != n {
		t.Fatalf("round %d: final commit %d, want the last position %d", round, got, n)
	}
}

// TestTrackerConcurrentCompletionNeverCommitsPastAnUnfinishedPosition runs
// the property with real goroutines: a reader that blocks on a full window,
// workers finishing in random order, and a checker reading Committable.
func TestTrackerConcurrentCompletionNeverCommitsPastAnUnfinishedPosition(t *testing.T) {
	t.Parallel()
	const n, workers = 5000, 4
	tr := replay.NewTracker(64)
	done := make([]atomic.Bool, n+1)
	type item struct {
		seq replay.Seq
		id  int
	}
	work := make(chan item, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(work)
		for id := 1; id <= n; id++ {
			seq, err := tr.Track(context.Background(), rid(id), time.Time{})
			if err != nil {
				t.Errorf("Track: %v", err)
				return
			}
			work <- item{seq, id}
		}
	})
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var held []item
			finish := func() {
				i := rng.IntN(len(held))
				it := held[i]
				held = append(held[:i], held[i+1:]...)
				done[it.id].Store(true) // before Done, so the checker never sees a commit first
				if err := tr.Done(it.seq); err != nil {
					t.Errorf("Done: %v", err)
				}
			}
			for {
				if len(held) == 8 {
					finish()
					continue
				}
				select {
				case it, ok := <-work:
					if !ok {
						for len(held) > 0 {
							finish()
						}
						return
					}
					held = append(held, it)
				default:
					if len(held) > 0 {
						finish() // the reader may be blocked on a window we hold
					} else {
						runtime.Gosched()
					}
				}
			}
		})
	}
	for last := 0; last < n; {
		c := tr.Committable()
		if c.Seq == 0 {
			runtime.Gosched()
			continue
		}
		k := ridNumber(c.ReplayID)
		for i := last + 1; i <= k; i++ {
			if !done[i].Load() {
				t.Fatalf("committable %d while %d is unfinished", k, i)
			}
		}
		if k < last {
			t.Fatalf("commit went back from %d to %d", last, k)
		}
		last = k
		runtime.Gosched()
	}
	wg.Wait()
}

// Moved is what an idle Flusher sleeps on: open while the committable
// position stays, closed by the Done that moves it and by a keepalive's
// TrackIdle, and closed at once for a position already passed.
func TestTrackerMovedWakesOnlyWhenTheCommitMoves(t *testing.T) {
	t.Parallel()
	tr := replay.NewTracker(4)
	isClosed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	idle := tr.Moved(0)
	if isClosed(idle) {
		t.Fatal("Moved(0) of an empty tracker is closed")
	}
	s1, err := tr.Track(t.Context(), []byte{1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := tr.Track(t.Context(), []byte{2}, time.Now())
	if err := tr.Done(s2); err != nil {
		t.Fatal(err)
	}
	if isClosed(idle) {
		t.Fatal("finishing an event behind an unfinished one closed Moved")
	}
	if err := tr.Done(s1); err != nil {
		t.Fatal(err)
	}
	if !isClosed(idle) {
		t.Fatal("the commit moved and Moved stayed open")
	}
	if !isClosed(tr.Moved(s1)) || isClosed(tr.Moved(s2)) {
		t.Fatal("Moved(after) must be closed exactly while the commit is past after")
	}
	waiting := tr.Moved(s2)
	if !tr.TrackIdle([]byte{3}, time.Now()) || !isClosed(waiting) {
		t.Fatal("a keepalive that moved the commit did not close Moved")
	}
}
