package replay

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// Seq numbers the positions of one Tracker in stream order, from 1.
type Seq uint64

// Commit is a position that may be checkpointed: every position tracked
// before it is done. The zero Commit means nothing is committable yet.
type Commit struct {
	Seq        Seq
	ReplayID   []byte
	CommitTime time.Time
}

// DefaultTrackerCapacity is NewTracker's capacity when given 0: about the
// local in-flight cap the delivery contract suggests (1 000 events).
const DefaultTrackerCapacity = 1000

// Tracker turns out-of-order completions into an in-order checkpoint. The
// stream reader calls Track for each event as it arrives; uploads (or dead
// letters) call Done in any order; Committable returns the newest position
// with nothing unfinished before it, which a Flusher writes to the Store.
//
// The window from the oldest unfinished position to the newest tracked one
// holds at most Cap positions. Track blocks while it is full, until a Done
// at the head of the window frees room or ctx ends. That is the
// back-pressure the pipeline wants: the reader stops, so no new events are
// requested and memory stays bounded while one slow or stuck upload holds
// up the checkpoint. A "full" error instead would make every caller write
// its own wait loop around the same condition.
//
// A Tracker is safe for concurrent use; Track is meant for one reader
// goroutine (positions are ordered by Track calls). Replay IDs are kept,
// not copied: the caller must not modify them afterwards.
type Tracker struct {
	mu       sync.Mutex
	slots    []trackedSlot // ring; len is a power of two, grown up to size as the window fills
	mask     Seq
	size     int // the ring's final length: the power of two ≥ capacity
	capacity int
	first    Seq // oldest position not yet passed by the commit
	next     Seq // the Seq the next Track gets
	commit   Commit
	room     chan struct{} // closed when the window shrinks; nil if no one waits
	moved    chan struct{} // closed when the commit moves; nil if no one waits
	onMove   func()        // called (t.mu held) when the commit moves; nil: none
}

type trackedSlot struct {
	replayID   []byte
	commitTime time.Time
	done       bool
}

// NewTracker returns a Tracker whose window holds capacity positions
// (DefaultTrackerCapacity if capacity ≤ 0).
func NewTracker(capacity int) *Tracker {
	if capacity <= 0 {
		capacity = DefaultTrackerCapacity
	}
	size := 1 << bits.Len(uint(capacity-1))
	// The ring starts small and doubles when the window fills it: an idle
	// topic keeps a few slots instead of its whole capacity (sfcdc serve
	// holds thousands of mostly idle topics).
	initial := min(size, initialSlots)
	return &Tracker{
		slots:    make([]trackedSlot, initial),
		mask:     Seq(initial - 1),
		size:     size,
		capacity: capacity,
		first:    1,
		next:     1,
	}
}

// Track records the next event in stream order and returns its position.
// It blocks while the window is full (see Tracker) and returns ctx's error
// if ctx ends first.
func (t *Tracker) Track(ctx context.Context, replayID []byte, commitTime time.Time) (Seq, error) {
	if len(replayID) == 0 {
		return 0, fmt.Errorf("track position: %w", invalidf("empty replay ID"))
	}
	for {
		t.mu.Lock()
		if int(t.next-t.first) < t.capacity {
			if int(t.next-t.first) == len(t.slots) {
				t.grow()
			}
			seq := t.next
			t.slots[seq&t.mask] = trackedSlot{replayID: replayID, commitTime: commitTime}
			t.next++
			t.mu.Unlock()
			return seq, nil
		}
		if t.room == nil {
			t.room = make(chan struct{})
		}
		room := t.room
		t.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return 0, fmt.Errorf("track position: %w", ctx.Err())
		}
	}
}

// initialSlots is the ring's length until the window outgrows it.
const initialSlots = 16

// grow doubles the ring (never past size), moving each position in flight
// to its slot in the new ring. t.mu held.
func (t *Tracker) grow() {
	n := min(2*len(t.slots), t.size)
	slots := make([]trackedSlot, n)
	mask := Seq(n - 1)
	for seq := t.first; seq < t.next; seq++ {
		slots[seq&mask] = t.slots[seq&t.mask]
	}
	t.slots, t.mask = slots, mask
}

// Done marks a position handled (uploaded, skipped as unchanged, or
// dead-lettered). It returns ErrInvalid for a position that is not in
// flight: never tracked, or already done.
func (t *Tracker) Done(seq Seq) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq < t.first || seq >= t.next || t.slots[seq&t.mask].done {
		return fmt.Errorf("finish position %d: %w", seq, invalidf("not in flight"))
	}
	t.slots[seq&t.mask].done = true
	if seq == t.first {
		t.advance()
	}
	return nil
}

// advance moves the commit over the done positions at the head of the
// window and wakes a blocked Track. t.mu held.
func (t *Tracker) advance() {
	for t.first < t.next {
		s := &t.slots[t.first&t.mask]
		if !s.done {
			break
		}
		t.commit = Commit{Seq: t.first, ReplayID: s.replayID, CommitTime: s.commitTime}
		*s = trackedSlot{} // drop the replay ID reference
		t.first++
		t.wakeMoved()
	}
	if t.room != nil {
		close(t.room)
		t.room = nil
	}
}

// TrackIdle offers a keepalive's latest replay ID. It becomes committable,
// as a position of its own, only if nothing is in flight: otherwise events
// before it are unfinished and it is ignored (the next keepalive will try
// again). at stands in for the commit time (no event committed after it).
// It reports whether the latest replay ID is now the committable position.
func (t *Tracker) TrackIdle(latestReplayID []byte, at time.Time) bool {
	if len(latestReplayID) == 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first != t.next {
		return false
	}
	if bytes.Equal(latestReplayID, t.commit.ReplayID) {
		return true // already committable; nothing changed
	}
	t.commit = Commit{Seq: t.next, ReplayID: latestReplayID, CommitTime: at}
	t.next++
	t.first = t.next
	t.wakeMoved()
	return true
}

// wakeMoved wakes whoever waits in Moved or OnMove. t.mu held.
func (t *Tracker) wakeMoved() {
	if t.moved != nil {
		close(t.moved)
		t.moved = nil
	}
	if t.onMove != nil {
		t.onMove()
	}
}

// OnMove makes fn called each time the committable position moves (nil:
// no longer), under the tracker's lock: fn must only note it (arm a
// timer, say), never wait nor call the tracker.
func (t *Tracker) OnMove(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onMove = fn
}

// Moved returns a channel closed once the committable position's Seq is
// past after (closed already if it is): a Flusher sleeps on it while
// there is nothing new to write, instead of waking every interval.
func (t *Tracker) Moved(after Seq) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.commit.Seq > after {
		return closedChan
	}
	if t.moved == nil {
		t.moved = make(chan struct{})
	}
	return t.moved
}

// closedChan is a channel that is always closed.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Committable returns the newest position before which everything is done;
// its Seq grows whenever it moves.
func (t *Tracker) Committable() Commit {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commit
}

// InFlight returns how many positions the window holds (unfinished ones and
// finished ones waiting behind them).
func (t *Tracker) InFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(t.next - t.first)
}

// Cap returns the window's capacity.
func (t *Tracker) Cap() int { return t.capacity }
