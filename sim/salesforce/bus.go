package salesforce

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Clock lets tests inject time (retention, commit timestamps, token expiry).
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// DefaultRetention is how long Salesforce keeps change and platform events.
const DefaultRetention = 72 * time.Hour

// replayIDBase is the first replay ID the bus hands out. Real IDs are large
// opaque numbers; starting away from zero keeps clients from assuming 0 or 1.
const replayIDBase = 2458760

// BusEvent is one change or platform event as appended to the org's log.
type BusEvent struct {
	Entity    string // entityName (routing to channels), e.g. "EmailMessage"
	EventUUID string // ProducerEvent.id
	SchemaID  string // writer schema of Payload
	Payload   []byte // Avro binary, no container, no header
}

// storedEvent is a BusEvent with its position and append time. On a
// compressing bus (SetCompressed) Payload is deflated while stored, and
// size is its length before.
type storedEvent struct {
	BusEvent
	replayID   uint64
	appendedAt time.Time
	size       int
	compressed bool
}

// Replay errors. Both map to INVALID_ARGUMENT with the replay-ID error code.
var (
	// ErrReplayExpired: events after the given ID are no longer retained.
	ErrReplayExpired = errors.New("replay ID is outside the retention window")
	// ErrReplayMalformed: the bytes are not a replay ID this bus issued.
	ErrReplayMalformed = errors.New("replay ID failed validation")
)

// Bus is the org's single event log. Every channel is a filtered view of it,
// so replay IDs of one channel are increasing but not contiguous, as on the
// real event bus. Events older than the retention are purged lazily.
type Bus struct {
	clock     Clock
	retention time.Duration

	mu            sync.Mutex
	log           []storedEvent
	purgedThrough uint64 // replay ID of the newest purged event (or base-1)
	next          uint64 // replay ID of the next appended event
	schemas       map[string]string
	changed       chan struct{} // closed and replaced on every append
	maxRetained   int           // newest events kept; 0: all (SetMaxRetained)
	compress      atomic.Bool   // deflate payloads from now on (SetCompressed)
}

// NewBus returns an empty log with the given retention (DefaultRetention when 0).
func NewBus(clock Clock, retention time.Duration) *Bus {
	if clock == nil {
		clock = SystemClock{}
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Bus{
		clock:         clock,
		retention:     retention,
		purgedThrough: replayIDBase - 1,
		next:          replayIDBase,
		schemas:       map[string]string{},
		changed:       make(chan struct{}),
	}
}

// RegisterSchema makes a writer schema resolvable by GetSchema. Schema IDs
// identify immutable schemas, so registering an ID twice keeps the first.
func (b *Bus) RegisterSchema(id, schemaJSON string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.schemas[id]; !ok {
		b.schemas[id] = schemaJSON
	}
}

// Schema returns the schema JSON registered under id.
func (b *Bus) Schema(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.schemas[id]
	return s, ok
}

// Append stores ev, assigns its replay ID and wakes waiting subscribers.
func (b *Bus) Append(ev BusEvent) (replayID uint64) {
	stored := storedEvent{BusEvent: ev, size: len(ev.Payload)}
	if b.compress.Load() {
		stored.Payload, stored.compressed = deflatePayload(ev.Payload), true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	stored.replayID, stored.appendedAt = id, b.clock.Now()
	b.log = append(b.log, stored)
	b.boundLocked()
	close(b.changed)
	b.changed = make(chan struct{})
	return id
}

// Changed returns a channel closed at the next Append.
func (b *Bus) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

// Tip is the replay ID of the newest event (base-1 when the log is empty).
func (b *Bus) Tip() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next - 1
}

// EncodeReplayID renders a position as Salesforce does today: 8 bytes,
// big-endian. Clients must treat them as opaque.
func EncodeReplayID(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// StartLatest is the position after the newest event.
func (b *Bus) StartLatest() uint64 { return b.Tip() }

// StartEarliest is the position before the oldest retained event.
func (b *Bus) StartEarliest() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purgeLocked()
	return b.purgedThrough
}

// StartAfter validates a client's replay ID and returns the position to
// deliver after. An ID is usable while no event after it has been purged:
// resuming from it then loses nothing.
func (b *Bus) StartAfter(raw []byte) (uint64, error) {
	if len(raw) != 8 {
		return 0, ErrReplayMalformed
	}
	id := binary.BigEndian.Uint64(raw)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purgeLocked()
	switch {
	case id >= b.next || id < replayIDBase-1:
		return 0, ErrReplayMalformed
	case id < b.purgedThrough:
		return 0, ErrReplayExpired
	}
	return id, nil
}

// ReadAfter returns up to max events with replay IDs above after that match
// keep, at most maxBytes of payload (at least one event), and the position
// scanned through. The scanned position never passes an undelivered match,
// so it is safe to hand to a client as latest_replay_id.
func (b *Bus) ReadAfter(after uint64, keep func(entity string) bool, max, maxBytes int) ([]storedEvent, uint64) {
	out, scanned := b.readAfter(after, keep, max, maxBytes)
	for i := range out { // outside the lock: appends need not wait for it
		if out[i].compressed {
			out[i].Payload, out[i].compressed = inflatePayload(out[i].Payload), false
		}
	}
	return out, scanned
}

func (b *Bus) readAfter(after uint64, keep func(entity string) bool, max, maxBytes int) ([]storedEvent, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purgeLocked()
	if after < b.purgedThrough {
		after = b.purgedThrough
	}
	start := int(after + 1 - (b.purgedThrough + 1))
	var out []storedEvent
	size := 0
	scanned := after
	for i := start; i < len(b.log); i++ {
		ev := b.log[i]
		if keep(ev.Entity) {
			if len(out) == max || (len(out) > 0 && size+ev.size > maxBytes) {
				break
			}
			out = append(out, ev)
			size += ev.size
		}
		scanned = ev.replayID
	}
	return out, scanned
}

// purgeLocked drops events older than the retention.
func (b *Bus) purgeLocked() {
	cutoff := b.clock.Now().Add(-b.retention)
	n := 0
	for n < len(b.log) && b.log[n].appendedAt.Before(cutoff) {
		n++
	}
	if n == 0 {
		return
	}
	b.purgedThrough = b.log[n-1].replayID
	b.dropFrontLocked(n)
}
