package salesforce

import (
	"slices"
	"time"
)

// Record is a copy of one stored record. Fields holds every non-null field
// under its API name, including Id, IsDeleted and the audit fields; compound
// fields hold a Values map of their components (see Values for types).
type Record struct {
	Object string
	Fields Values
}

// ID returns the record's 18-character ID.
func (r Record) ID() string { s, _ := r.Fields[FieldID].(string); return s }

// IsDeleted reports whether the record is in the recycle bin.
func (r Record) IsDeleted() bool { b, _ := r.Fields[FieldIsDeleted].(bool); return b }

// SystemModstamp is the time of the record's last change of any kind.
func (r Record) SystemModstamp() time.Time {
	t, _ := r.Fields[FieldSystemModstamp].(time.Time)
	return t
}

// Get returns a field's value; a component is addressed as "Parent.Component".
func (r Record) Get(field string) any {
	if v, ok := r.Fields[field]; ok {
		return v
	}
	for name, v := range r.Fields {
		if c, ok := v.(Values); ok && len(field) > len(name) && field[:len(name)] == name && field[len(name)] == '.' {
			return c[field[len(name)+1:]]
		}
	}
	return nil
}

func (r Record) clone() Record { return Record{Object: r.Object, Fields: r.Fields.clone()} }

// recordStore keeps records by ID and each object's IDs in creation order.
// The Org's mutex guards it.
type recordStore struct {
	byID     map[string]*Record
	byObject map[string][]string
}

func newRecordStore() recordStore {
	return recordStore{byID: map[string]*Record{}, byObject: map[string][]string{}}
}

func (s *recordStore) put(r Record) {
	id := r.ID()
	if _, exists := s.byID[id]; !exists {
		s.byObject[r.Object] = append(s.byObject[r.Object], id)
	}
	s.byID[id] = &r
}

// Get returns a copy of the record with the given 15- or 18-character ID,
// deleted or not.
func (o *Org) Get(id string) (Record, bool) {
	id18, err := To18(id)
	if err != nil {
		return Record{}, false
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	r, ok := o.records.byID[id18]
	if !ok {
		return Record{}, false
	}
	return r.clone(), true
}

// Records returns copies of all records of an object in creation order,
// including deleted ones (check IsDeleted), as queryAll sees them.
func (o *Org) Records(object string) []Record {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ids := o.records.byObject[object]
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		out = append(out, o.records.byID[id].clone())
	}
	return out
}

// sharedRecords is Records without the copies: the Fields maps are the
// stored ones, which are never written again (every change stores a new
// map, see Tx.stage), so readers may keep them as a snapshot. A query over
// 60,000 records cloned 60,000 maps, which an open query locator then
// kept: about as much memory again as the records themselves.
func (o *Org) sharedRecords(object string) []Record {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ids := o.records.byObject[object]
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		out = append(out, *o.records.byID[id])
	}
	return out
}

// Count returns how many records of an object exist, deleted ones included.
func (o *Org) Count(object string) int {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return len(o.records.byObject[object])
}

// EmptyRecycleBin hard-deletes records from the recycle bin. As in
// Salesforce, this produces no change event; afterwards neither Get nor
// Records (queryAll) finds the records.
func (o *Org) EmptyRecycleBin(ids ...string) error {
	o.txMu.Lock() // no transaction may hold a staged copy of a purged record
	defer o.txMu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	var purge []*Record
	for _, id := range ids {
		id18, err := To18(id)
		if err != nil {
			return errMalformedID(err)
		}
		r, ok := o.records.byID[id18]
		if !ok {
			return errNotFound(id18)
		}
		if !r.IsDeleted() {
			return errNotDeleted(id18)
		}
		purge = append(purge, r)
	}
	for _, r := range purge {
		o.records.remove(*r)
	}
	return nil
}

func (s *recordStore) remove(r Record) {
	id := r.ID()
	delete(s.byID, id)
	s.byObject[r.Object] = slices.DeleteFunc(s.byObject[r.Object], func(x string) bool { return x == id })
}
