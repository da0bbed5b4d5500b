package salesforce

import (
	"slices"
	"time"
)

// Commit describes a committed transaction and the events it produced.
type Commit struct {
	TransactionKey string
	CommitNumber   int64
	CommitTime     time.Time
	Events         []PublishedEvent // in bus order
}

// PublishedEvent is one change event as appended to the bus.
type PublishedEvent struct {
	ReplayID uint64
	BusEvent
	Header ChangeEventHeader
}

// pendingEvent is a change event being assembled at commit.
type pendingEvent struct {
	schema *EventSchema
	header ChangeEventHeader
	body   Values
}

// commit stores the transaction's records and appends its events, under
// one lock so bus order is commit order.
func (o *Org) commit(tx *Tx) (Commit, error) {
	if len(tx.changes) == 0 {
		return Commit{}, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	cm := Commit{TransactionKey: o.uuidLocked(), CommitNumber: o.commitNumber, CommitTime: o.clock.Now()}
	o.commitNumber += 1 + int64(o.rng.IntN(1000)) // increasing, not contiguous
	base := ChangeEventHeader{
		ChangeOrigin: tx.origin, TransactionKey: cm.TransactionKey, CommitTimestamp: cm.CommitTime.UnixMilli(),
		CommitNumber: cm.CommitNumber, CommitUser: tx.user,
	}
	events, err := o.buildEventsLocked(tx.changes, base, tx.dbLevel)
	if err != nil {
		return Commit{}, err
	}
	for _, c := range tx.changes {
		o.records.put(tx.staged[c.id])
	}
	for _, ev := range events {
		id := o.bus.Append(ev.BusEvent)
		cm.Events = append(cm.Events, PublishedEvent{ReplayID: id, BusEvent: ev.BusEvent, Header: ev.Header})
	}
	return cm, nil
}

// buildEventsLocked turns a transaction's changes into encoded events:
// one per change of an entity that produces events, adjacent identical
// changes merged, the changes past the overflow limit replaced by one
// GAP_OVERFLOW per entity, and oversized events (or all, for
// database-level changes) replaced by gap events.
func (o *Org) buildEventsLocked(changes []recordChange, base ChangeEventHeader, allGaps bool) ([]PublishedEvent, error) {
	var pending []pendingEvent
	var overflowed []pendingEvent // one per entity, in order of first overflow
	total, limit := 0, o.cfg.maxTransactionChanges()
	for i, c := range changes {
		obj := o.cat.objects[c.object]
		if !o.emitsEventsLocked(obj) {
			continue // sequence numbers of such changes are skipped, as in Salesforce
		}
		s := o.current[c.object]
		h := base
		h.EntityName, h.SequenceNumber = c.object, int32(i+1)
		body := buildBody(s, c, o.cfg.SendDataDifferences)
		if total += body.weight; total > limit {
			overflowed = addOverflow(overflowed, s, h)
			continue
		}
		h.ChangeType, h.RecordIDs = c.kind, []string{c.id}
		h.ChangedFields, h.NulledFields, h.DiffFields = body.changed.Encode(), body.nulled.Encode(), body.diffed.Encode()
		ev := pendingEvent{schema: s, header: h, body: body.values}
		if !mergeInto(pending, ev) {
			pending = append(pending, ev)
		}
	}
	return o.encodeAllLocked(append(pending, overflowed...), allGaps)
}

// addOverflow keeps one header-only GAP_OVERFLOW event per entity.
func addOverflow(events []pendingEvent, s *EventSchema, h ChangeEventHeader) []pendingEvent {
	if slices.ContainsFunc(events, func(e pendingEvent) bool { return e.header.EntityName == h.EntityName }) {
		return events
	}
	h.ChangeType, h.RecordIDs = GapOverflow, []string{OverflowRecordID}
	h.ChangedFields, h.NulledFields, h.DiffFields = []string{}, []string{}, []string{}
	return append(events, pendingEvent{schema: s, header: h})
}

// mergeInto adds ev's record to the previous event when both describe the
// same change to different records of one entity (a merged event). Only
// adjacent changes merge, so no record's changes are reordered.
func mergeInto(pending []pendingEvent, ev pendingEvent) bool {
	if len(pending) == 0 {
		return false
	}
	last := &pending[len(pending)-1]
	if last.schema != ev.schema || !sameChange(last.header, ev.header) || slices.Contains(last.header.RecordIDs, ev.header.RecordIDs[0]) {
		return false
	}
	// Body fields only: a CREATE's body is its whole record (buildBody).
	for _, f := range ev.schema.Body {
		if !sameValue(last.body[f.Name], ev.body[f.Name]) {
			return false
		}
	}
	last.header.RecordIDs = append(last.header.RecordIDs, ev.header.RecordIDs[0])
	return true
}

// sameChange compares the header fields that describe the change itself.
func sameChange(a, b ChangeEventHeader) bool {
	return a.ChangeType == b.ChangeType && slices.Equal(a.ChangedFields, b.ChangedFields) &&
		slices.Equal(a.NulledFields, b.NulledFields) && slices.Equal(a.DiffFields, b.DiffFields)
}

// encodeAllLocked encodes the events, turning any larger than the limit
// (or every one, with allGaps) into a header-only gap event (reference §3.6).
func (o *Org) encodeAllLocked(events []pendingEvent, allGaps bool) ([]PublishedEvent, error) {
	out := make([]PublishedEvent, 0, len(events))
	for _, ev := range events {
		payload, err := ev.schema.encode(ev.header, ev.body)
		if err != nil {
			return nil, err
		}
		if ev.header.ChangeType != GapOverflow && (allGaps || len(payload) > o.cfg.maxEventBytes()) {
			ev.header.ChangeType = gapOf(ev.header.ChangeType)
			ev.header.ChangedFields, ev.header.NulledFields, ev.header.DiffFields = []string{}, []string{}, []string{}
			if payload, err = ev.schema.encode(ev.header, nil); err != nil {
				return nil, err
			}
		}
		out = append(out, PublishedEvent{
			BusEvent: BusEvent{Entity: ev.header.EntityName, EventUUID: o.uuidLocked(), SchemaID: ev.schema.ID, Payload: payload},
			Header:   ev.header,
		})
	}
	return out, nil
}

// emitsEventsLocked: an object produces change events when it has one and
// some channel carries it.
func (o *Org) emitsEventsLocked(obj *Object) bool {
	if !obj.HasChangeEvent {
		return false
	}
	return obj.CDCSelected || slices.ContainsFunc(o.cfg.CustomChannels, func(ch CustomChannel) bool {
		return slices.Contains(ch.Entities, obj.Name)
	})
}
