package pipeline

import (
	"sync"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
)

// openEvents counts, per tracked event, the pieces of work not finished
// yet: the intake's own handling, each comment submitted, each pending
// fetch and each dead letter being stored. When the last piece finishes,
// the event is done in the tracker (so the checkpoint may pass it) and its
// message is released to the subscription (so credits flow again). Counting
// pieces, rather than marking the event done from one place, is what makes
// an event with several merged record IDs done only when all are.
type openEvents struct {
	tracker *replay.Tracker
	release func(pubsub.Message)

	mu   sync.Mutex
	open map[replay.Seq]*openEvent
}

type openEvent struct {
	msg    pubsub.Message
	pieces int
}

func newOpenEvents(tracker *replay.Tracker, release func(pubsub.Message)) *openEvents {
	return &openEvents{tracker: tracker, release: release, open: map[replay.Seq]*openEvent{}}
}

// start registers a tracked event with one piece: the intake's handling,
// which the intake finishes when it has handed every other piece out.
func (o *openEvents) start(seq replay.Seq, msg pubsub.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.open[seq] = &openEvent{msg: msg, pieces: 1}
}

// add registers one more piece of work for seq. The caller holds a piece
// of seq itself, so the event cannot have finished.
func (o *openEvents) add(seq replay.Seq) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.open[seq].pieces++
}

// message returns the event's message (position, header), for dead
// letters.
func (o *openEvents) message(seq replay.Seq) pubsub.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.open[seq]; ok {
		return e.msg
	}
	return pubsub.Message{}
}

// finish ends one piece of seq and completes the event after its last.
func (o *openEvents) finish(seq replay.Seq) {
	o.mu.Lock()
	e, ok := o.open[seq]
	if !ok {
		o.mu.Unlock()
		return
	}
	e.pieces--
	if e.pieces > 0 {
		o.mu.Unlock()
		return
	}
	delete(o.open, seq)
	o.mu.Unlock()
	// Done cannot fail here: seq was tracked and is finished exactly once.
	_ = o.tracker.Done(seq)
	o.release(e.msg)
}

// count says how many events are open.
func (o *openEvents) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.open)
}
