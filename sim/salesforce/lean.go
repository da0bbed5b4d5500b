package salesforce

import "slices"

// Lean operation: a long demo or benchmark generates more text than the
// process may hold (100,000 emails are about 750 MB). These operations let
// a driver keep the org and the bus at a bounded size; nothing in the
// simulator calls them on its own, so an org that is not driven this way
// keeps everything, as before.

// Forget drops records from the org without an event or a recycle-bin
// entry, as if an archiving job had removed them long ago: afterwards
// neither Get, Records nor the REST API finds them. Unknown IDs are
// ignored. Callers must only forget records no pending change still needs
// to be fetched for.
func (o *Org) Forget(ids ...string) {
	if len(ids) == 0 {
		return
	}
	o.txMu.Lock() // no transaction may hold a staged copy of a forgotten record
	defer o.txMu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	gone := map[string]map[string]bool{} // object → IDs
	for _, id := range ids {
		id18, err := To18(id)
		if err != nil {
			continue
		}
		r, ok := o.records.byID[id18]
		if !ok {
			continue
		}
		if gone[r.Object] == nil {
			gone[r.Object] = map[string]bool{}
		}
		gone[r.Object][id18] = true
		delete(o.records.byID, id18)
	}
	// One pass per object: forgetting one ID at a time would scan and
	// shift the object's ID list once per record.
	for object, set := range gone {
		o.records.byObject[object] = slices.DeleteFunc(o.records.byObject[object], func(x string) bool { return set[x] })
	}
}

// TrimThrough drops retained events with replay IDs up to and including
// through, as if their retention had expired: a subscriber resuming at or
// before through gets ErrReplayExpired, exactly as after 72 h. A driver
// that knows every subscriber checkpointed past through uses it to keep the
// bus small.
func (b *Bus) TrimThrough(through uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for n < len(b.log) && b.log[n].replayID <= through {
		n++
	}
	if n == 0 {
		return
	}
	b.purgedThrough = b.log[n-1].replayID
	b.dropFrontLocked(n)
}

// SetMaxRetained bounds the bus to the newest n events (0: no bound, the
// default): each Append beyond it drops the oldest, as if its retention had
// expired, so a subscriber resuming before the retained window gets
// ErrReplayExpired, exactly as after 72 h. A long-running simulator uses it
// to hold a constant amount of memory whatever it generates.
func (b *Bus) SetMaxRetained(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maxRetained = max(n, 0)
	b.boundLocked()
}

// boundLocked drops the events beyond maxRetained.
func (b *Bus) boundLocked() {
	if over := len(b.log) - b.maxRetained; b.maxRetained > 0 && over > 0 {
		b.purgedThrough = b.log[over-1].replayID
		b.dropFrontLocked(over)
	}
}

// dropFrontLocked removes the n oldest events. Their entries are zeroed so
// the payloads can be collected, and the log is resliced rather than
// copied: copying the retained window on every trim (a driver trims every
// few milliseconds) was a steady stream of garbage. The dropped head of
// the array is released when an Append outgrows the remaining capacity
// and copies only the retained events.
func (b *Bus) dropFrontLocked(n int) {
	clear(b.log[:n])
	b.log = b.log[n:]
}

// Retained is how many events the bus holds now.
func (b *Bus) Retained() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.log)
}
