package backfill

import (
	"sync"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// tracker follows the records of one object's run in query order and
// offers the watermark: the position of the last record before which
// every record is settled — uploaded, skipped as unchanged, deleted, kept,
// or dead-lettered. A record that was not delivered (the uploader stopped)
// holds the watermark where it is.
//
// The uploader reports outcomes on its own goroutines; the run's goroutine
// adds records and advances. Both go through mu.
type tracker struct {
	object string

	mu      sync.Mutex
	base    int64 // sequence number of pending[0]
	pending []*entry
	failure error // the first outcome that was not a delivery
	counts  Counts
}

// entry is one record awaiting its outcome.
type entry struct {
	pos     Position
	settled bool
	dead    *replay.DeadLetter // set when the record was dead-lettered
}

// token identifies an entry in an uploader.Item[token].
type token struct {
	t   *tracker
	seq int64
}

// add appends a record to upload and returns its token.
func (t *tracker) add(pos Position) token {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, &entry{pos: pos})
	return token{t: t, seq: t.base + int64(len(t.pending)) - 1}
}

// addDead appends a record that is dead-lettered without an upload (it
// could not be mapped).
func (t *tracker) addDead(pos Position, d replay.DeadLetter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, &entry{pos: pos, settled: true, dead: &d})
	t.counts.DeadLettered++
}

// abandon records why an added record will never get an outcome (Submit
// refused it); it stays unsettled, so the watermark stops before it.
func (t *tracker) abandon(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failure == nil {
		t.failure = err
	}
}

// resolve records an outcome. It runs on the uploader's goroutine.
func (t *tracker) resolve(tok token, o uploader.Outcome[token]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.pending[tok.seq-t.base]
	switch {
	case o.Delivered():
		e.settled = true
		t.counts.count(o.Action)
	case o.DeadLettered():
		e.settled = true
		e.dead = &replay.DeadLetter{Object: t.object, RecordID: e.pos.ID, Reason: reasonRejected, Error: o.Err.Error(), Attempts: 1}
		t.counts.DeadLettered++
	case t.failure == nil:
		t.failure = o.Err
	}
}

// advance removes the settled prefix and returns the last position in it
// (ok false when the prefix is empty) and the dead letters to store before
// that position may be saved.
func (t *tracker) advance() (last Position, ok bool, dead []replay.DeadLetter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(t.pending) && t.pending[n].settled {
		e := t.pending[n]
		last, ok = e.pos, true
		if e.dead != nil {
			dead = append(dead, *e.dead)
		}
		n++
	}
	clear(t.pending[:n])
	t.pending = t.pending[n:]
	t.base += int64(n)
	return last, ok, dead
}

// failed returns the first outcome that was not a delivery, if any.
func (t *tracker) failed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failure
}

// snapshot returns the counts so far.
func (t *tracker) snapshot() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts
}

// Dead-letter reasons (replay.DeadLetter.Reason), short and stable.
const (
	reasonRejected   = "cm rejected comment"
	reasonUnmappable = "unmappable record"
)

// Counts tally what happened to an object's records.
type Counts struct {
	// Created, TextUpdated and MetadataUpdated count comments CM accepted,
	// by what their hashes said; the first two are billed.
	Created, TextUpdated, MetadataUpdated int
	// Unchanged counts comments not sent because CM already holds them.
	Unchanged int
	// Deleted counts comments deleted for deleted records; Kept counts
	// deleted records whose comment stays (on_delete: keep).
	Deleted, Kept int
	// DeadLettered counts records given up on (unmappable or refused by CM).
	DeadLettered int
}

// BillableUnits is what CM bills for the counted actions: one unit per
// created comment and per update of its text.
func (c Counts) BillableUnits() int { return c.Created + c.TextUpdated }

func (c *Counts) count(a mapper.Action) {
	switch a {
	case mapper.ActionCreate:
		c.Created++
	case mapper.ActionUpdateText:
		c.TextUpdated++
	case mapper.ActionUpdateMetadata:
		c.MetadataUpdated++
	case mapper.ActionUnchanged:
		c.Unchanged++
	case mapper.ActionDelete:
		c.Deleted++
	case mapper.ActionNone:
		c.Kept++
	}
}

func (c *Counts) add(o Counts) {
	c.Created += o.Created
	c.TextUpdated += o.TextUpdated
	c.MetadataUpdated += o.MetadataUpdated
	c.Unchanged += o.Unchanged
	c.Deleted += o.Deleted
	c.Kept += o.Kept
	c.DeadLettered += o.DeadLettered
}
