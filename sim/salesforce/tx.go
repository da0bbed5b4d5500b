package salesforce

import (
	"errors"
	"fmt"
	"time"
)

// ErrTxClosed reports use of a Tx after its transaction function returned.
var ErrTxClosed = errors.New("transaction is finished")

// TxOptions say who runs a transaction and through which API.
type TxOptions struct {
	UserID       string // commitUser and audit user; empty: the org's user
	ChangeOrigin string // header changeOrigin; empty: Config.ChangeOrigin
	// DatabaseLevel marks changes applied below the application layer
	// (archiving, cleanup jobs): Salesforce sends gap events for them
	// instead of change events (reference §3.6).
	DatabaseLevel bool
}

// Tx stages the DML of one transaction. Nothing is visible to readers or
// produces events until the transaction function returns nil.
type Tx struct {
	org     *Org
	user    string
	origin  string
	dbLevel bool
	now     time.Time // audit timestamp of every change in the transaction
	staged  map[string]Record
	changes []recordChange
	closed  bool
}

// recordChange is one DML operation with the record before and after it.
type recordChange struct {
	kind   ChangeType
	object string
	id     string
	before Values // nil for CREATE
	after  Values
}

// Transaction runs fn as one transaction with the default options.
func (o *Org) Transaction(fn func(*Tx) error) (Commit, error) {
	return o.TransactionWith(TxOptions{}, fn)
}

// TransactionWith runs fn as one transaction. If fn returns an error,
// nothing it staged is kept and no event is sent. Otherwise all changes
// commit together and their change events are appended to the bus, in
// order, before TransactionWith returns. Transactions run one at a time:
// fn may read through the Org but must not start another transaction.
func (o *Org) TransactionWith(opts TxOptions, fn func(*Tx) error) (Commit, error) {
	o.txMu.Lock()
	defer o.txMu.Unlock()
	tx := &Tx{org: o, user: opts.UserID, origin: opts.ChangeOrigin, dbLevel: opts.DatabaseLevel, now: o.clock.Now().UTC().Truncate(time.Millisecond), staged: map[string]Record{}}
	if tx.user == "" {
		tx.user = o.userID
	}
	if tx.origin == "" {
		tx.origin = o.cfg.changeOrigin()
	}
	err := fn(tx)
	tx.closed = true
	if err != nil {
		return Commit{}, err
	}
	return o.commit(tx)
}

// Create inserts one record in its own transaction and returns its ID.
func (o *Org) Create(object string, v Values) (string, error) {
	var id string
	_, err := o.Transaction(func(tx *Tx) error {
		var err error
		id, err = tx.Create(object, v)
		return err
	})
	return id, err
}

// Update changes fields of one record in its own transaction.
func (o *Org) Update(id string, v Values) error {
	_, err := o.Transaction(func(tx *Tx) error { return tx.Update(id, v) })
	return err
}

// Delete moves one record to the recycle bin in its own transaction.
func (o *Org) Delete(id string) error {
	_, err := o.Transaction(func(tx *Tx) error { return tx.Delete(id) })
	return err
}

// Undelete restores one record from the recycle bin in its own transaction.
func (o *Org) Undelete(id string) error {
	_, err := o.Transaction(func(tx *Tx) error { return tx.Undelete(id) })
	return err
}

// Get returns the record as this transaction sees it.
func (tx *Tx) Get(id string) (Record, bool) {
	r, err := tx.load(id)
	if err != nil {
		return Record{}, false
	}
	return r.clone(), true
}

// Create stages a new record and returns its ID. System fields (Id, audit
// fields, IsDeleted, auto-numbers) are set by the org; OwnerId defaults to
// the transaction's user.
func (tx *Tx) Create(object string, v Values) (string, error) {
	if tx.closed {
		return "", ErrTxClosed
	}
	// Sized for the caller's values plus the system fields set below, so
	// the map is not grown (rehashed) field by field.
	rec := make(Values, len(v)+16)
	prefix, err := tx.org.applyValues(object, rec, v)
	if err != nil {
		return "", err
	}
	id := tx.org.initRecord(object, prefix, rec)
	rec[FieldCreatedDate], rec[FieldCreatedByID] = tx.now, tx.user
	if _, ok := rec[FieldOwnerID]; !ok && tx.org.hasField(object, FieldOwnerID) {
		rec[FieldOwnerID] = tx.user
	}
	tx.stamp(rec)
	deriveFields(object, rec, tx.now)
	tx.stage(recordChange{kind: ChangeCreate, object: object, id: id, after: rec})
	return id, nil
}

// Update stages new values for fields of an existing, undeleted record.
func (tx *Tx) Update(id string, v Values) error {
	r, err := tx.loadLive(id)
	if err != nil {
		return err
	}
	before := r.Fields
	r.Fields = before.clone()
	if _, err := tx.org.applyValues(r.Object, r.Fields, v); err != nil {
		return err
	}
	tx.stamp(r.Fields)
	deriveFields(r.Object, r.Fields, tx.now)
	tx.stage(recordChange{kind: ChangeUpdate, object: r.Object, id: r.ID(), before: before, after: r.Fields})
	return nil
}

// Delete stages moving a record to the recycle bin (IsDeleted = true).
func (tx *Tx) Delete(id string) error {
	r, err := tx.loadLive(id)
	if err != nil {
		return err
	}
	before := r.Fields
	r.Fields = before.clone()
	r.Fields[FieldIsDeleted] = true
	tx.stamp(r.Fields)
	tx.stage(recordChange{kind: ChangeDelete, object: r.Object, id: r.ID(), before: before, after: r.Fields})
	return nil
}

// Undelete stages restoring a record from the recycle bin.
func (tx *Tx) Undelete(id string) error {
	if tx.closed {
		return ErrTxClosed
	}
	r, err := tx.load(id)
	if err != nil {
		return err
	}
	if !r.IsDeleted() {
		return errNotDeleted(r.ID())
	}
	before := r.Fields
	r.Fields = before.clone()
	r.Fields[FieldIsDeleted] = false
	tx.stamp(r.Fields)
	tx.stage(recordChange{kind: ChangeUndelete, object: r.Object, id: r.ID(), before: before, after: r.Fields})
	return nil
}

// stamp sets the fields every change updates.
func (tx *Tx) stamp(rec Values) {
	rec[FieldLastModifiedDate], rec[FieldLastModifiedByID], rec[FieldSystemModstamp] = tx.now, tx.user, tx.now
}

// stage keeps the working copy, which is also the change's snapshot for
// its event. A staged or stored Values is never written again (load hands
// out the shared map and every change writes a clone of it), so the two
// need no copies of their own: cloning each record twice more per change
// was most of a generated transaction's garbage.
func (tx *Tx) stage(c recordChange) {
	tx.staged[c.id] = Record{Object: c.object, Fields: c.after}
	tx.changes = append(tx.changes, c)
}

// load returns a record as staged in this transaction or stored. Its
// Fields are shared and read-only: callers that change the record clone
// them first (Update, Delete, Undelete keep the shared map as "before").
func (tx *Tx) load(id string) (Record, error) {
	id18, err := To18(id)
	if err != nil {
		return Record{}, errMalformedID(err)
	}
	if r, ok := tx.staged[id18]; ok {
		return r, nil
	}
	tx.org.mu.RLock()
	r, ok := tx.org.records.byID[id18]
	tx.org.mu.RUnlock()
	if !ok {
		return Record{}, errNotFound(id18)
	}
	return *r, nil
}

// loadLive is load for operations that need an undeleted record.
func (tx *Tx) loadLive(id string) (Record, error) {
	if tx.closed {
		return Record{}, ErrTxClosed
	}
	r, err := tx.load(id)
	if err != nil {
		return Record{}, err
	}
	if r.IsDeleted() {
		return Record{}, errDeleted(r.ID())
	}
	return r, nil
}

// initRecord issues the ID and the org-assigned values of a new record.
func (o *Org) initRecord(object, prefix string, rec Values) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.nextIDLocked(prefix)
	rec[FieldID], rec[FieldIsDeleted] = id, false
	if object == "Case" {
		o.caseNumbers++
		rec["CaseNumber"] = fmt.Sprintf("%08d", o.caseNumbers)
	}
	for _, f := range o.cat.objects[object].Fields {
		if _, set := rec[f.Name]; !set && f.Type == TypeBoolean {
			rec[f.Name] = false
		}
	}
	return id
}

func (o *Org) hasField(object, field string) bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	obj, err := o.cat.object(object)
	if err != nil {
		return false
	}
	_, ok := obj.Field(field)
	return ok
}

// deriveFields keeps the read-only fields Salesforce computes in step with
// the fields they depend on.
func deriveFields(object string, rec Values, now time.Time) {
	switch object {
	case "Case":
		setClosed(rec, rec["Status"] == "Closed", "ClosedDate", now)
	case "Task":
		setClosed(rec, rec["Status"] == "Completed", "CompletedDateTime", now)
		if what, _ := rec["WhatId"].(string); KeyPrefix(what) == PrefixAccount {
			rec["AccountId"] = what
		}
	}
}

func setClosed(rec Values, closed bool, closedAt string, now time.Time) {
	rec["IsClosed"] = closed
	switch {
	case !closed:
		delete(rec, closedAt)
	case rec[closedAt] == nil:
		rec[closedAt] = now
	}
}
