package salesforce

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestAuditFieldsFollowEveryChange(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{})
	created := clock.Now()
	id := createForTest(t, org, "Case", Values{"Subject": "x"})
	clock.Advance(time.Hour)
	updated := clock.Now()
	if err := org.Update(id, Values{"Subject": "y"}); err != nil {
		t.Fatal(err)
	}
	r, _ := org.Get(id)
	if !r.Fields[FieldCreatedDate].(time.Time).Equal(created) || !r.Fields[FieldLastModifiedDate].(time.Time).Equal(updated) || !r.SystemModstamp().Equal(updated) {
		t.Errorf("after update: %v", r.Fields)
	}
	clock.Advance(time.Hour)
	if err := org.Delete(id); err != nil {
		t.Fatal(err)
	}
	r, _ = org.Get(id)
	if !r.IsDeleted() || !r.SystemModstamp().Equal(clock.Now()) {
		t.Errorf("after delete: IsDeleted %v, SystemModstamp %v", r.IsDeleted(), r.SystemModstamp())
	}
	if all := org.Records("Case"); len(all) != 1 || !all[0].IsDeleted() {
		t.Errorf("Records does not list the deleted record: %v", all)
	}
	if err := org.Undelete(id); err != nil {
		t.Fatal(err)
	}
	if r, _ = org.Get(id); r.IsDeleted() || r.Get("Subject") != "y" {
		t.Errorf("after undelete: %v", r.Fields)
	}
}

func TestDMLErrorsNameTheProblem(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	live := createForTest(t, org, "Case", Values{"Subject": "live"})
	gone := createForTest(t, org, "Case", Values{"Subject": "gone"})
	if err := org.Delete(gone); err != nil {
		t.Fatal(err)
	}
	account := createForTest(t, org, "Account", Values{"Name": "Acme"})
	missing := newRecordID(PrefixCase, 999)
	tests := []struct {
		name     string
		run      func() error
		sentinel error
		code     string
	}{
		{"unknown object", func() error { _, err := org.Create("Lead", nil); return err }, ErrUnknownObject, "NOT_FOUND"},
		{"unknown field", func() error { return org.Update(live, Values{"Mood": "x"}) }, ErrUnknownField, "INVALID_FIELD"},
		{"read-only field", func() error { return org.Update(live, Values{"CaseNumber": "1"}) }, ErrReadOnlyField, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"audit field", func() error { return org.Update(live, Values{"CreatedDate": time.Now()}) }, ErrReadOnlyField, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"wrong type", func() error { return org.Update(live, Values{"IsEscalated": "yes"}) }, ErrInvalidValue, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"malformed reference", func() error { return org.Update(live, Values{"AccountId": "001xyz"}) }, ErrInvalidValue, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"reference to the wrong object", func() error { return org.Update(live, Values{"ContactId": account}) }, ErrInvalidValue, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"unknown component", func() error { return org.Update(account, Values{"BillingAddress": Values{"Planet": "Mars"}}) }, ErrUnknownField, "INVALID_FIELD"},
		{"malformed ID", func() error { return org.Update("500", Values{"Subject": "x"}) }, ErrInvalidRecordID, "MALFORMED_ID"},
		{"missing record", func() error { return org.Update(missing, Values{"Subject": "x"}) }, ErrRecordNotFound, "NOT_FOUND"},
		{"update of a deleted record", func() error { return org.Update(gone, Values{"Subject": "x"}) }, ErrRecordDeleted, "ENTITY_IS_DELETED"},
		{"delete of a deleted record", func() error { return org.Delete(gone) }, ErrRecordDeleted, "ENTITY_IS_DELETED"},
		{"undelete of a live record", func() error { return org.Undelete(live) }, ErrRecordNotDeleted, "UNDELETE_FAILED"},
		{"int out of range", func() error { return org.Update(account, Values{"NumberOfEmployees": int64(1) << 40}) }, ErrInvalidValue, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var dml *DMLError
			if !errors.Is(err, tt.sentinel) || !errors.As(err, &dml) || dml.StatusCode != tt.code {
				t.Errorf("error %v; want %v with code %s", err, tt.sentinel, tt.code)
			}
		})
	}
}

func TestUsingATransactionAfterItEndedFails(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	var kept *Tx
	commitForTest(t, org, func(tx *Tx) error { kept = tx; return nil })
	if _, err := kept.Create("Case", nil); !errors.Is(err, ErrTxClosed) {
		t.Errorf("Create after commit: %v", err)
	}
}

func TestFlatAndCompoundAddressFormsAreTheSame(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	a := createForTest(t, org, "Account", Values{"Name": "A", "BillingCity": "Lyon", "billingpostalcode": "69001"})
	b := createForTest(t, org, "Account", Values{"Name": "A", "BillingAddress": map[string]any{"City": "Lyon", "postalCode": "69001"}})
	ra, _ := org.Get(a)
	rb, _ := org.Get(b)
	if !sameValue(ra.Fields["BillingAddress"], rb.Fields["BillingAddress"]) || ra.Get("BillingAddress.City") != "Lyon" {
		t.Errorf("flat form stored %v, compound form %v", ra.Fields["BillingAddress"], rb.Fields["BillingAddress"])
	}
}

func TestValuesAreStoredInTheirCanonicalForm(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	acct := createForTest(t, org, "Account", Values{"Name": "Acme", "Phone": "", "NumberOfEmployees": 12.0, "AnnualRevenue": 3})
	task := createForTest(t, org, "Task", Values{"subject": "Follow up", "ActivityDate": time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC), "WhatId": acct[:15]})
	ra, _ := org.Get(acct)
	rt, _ := org.Get(task[:15])
	checks := []struct {
		got, want any
	}{
		{ra.Get("Phone"), nil},
		{ra.Get("NumberOfEmployees"), int64(12)},
		{ra.Get("AnnualRevenue"), 3.0},
		{rt.Get("Subject"), "Follow up"},
		{rt.Get("ActivityDate"), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		{rt.Get("WhatId"), acct},
		{rt.Get("AccountId"), acct},
		{rt.Get("IsClosed"), false},
	}
	for i, c := range checks {
		if !sameValue(c.got, c.want) {
			t.Errorf("check %d: got %v (%T), want %v", i, c.got, c.got, c.want)
		}
	}
}

func TestClosingACaseSetsIsClosedAndClosedDate(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Case", Values{"Status": "New"})
	clock.Advance(time.Hour)
	ev := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"Status": "Closed"}) }))
	changed := namesOf(t, org, ev, ev.Header.ChangedFields)
	if fmt.Sprint(changed) != "[ClosedDate IsClosed LastModifiedDate Status]" {
		t.Errorf("changed fields %v", changed)
	}
	r, _ := org.Get(id)
	if r.Get("IsClosed") != true || !sameValue(r.Get("ClosedDate"), clock.Now().UTC().Truncate(time.Millisecond)) {
		t.Errorf("IsClosed %v ClosedDate %v", r.Get("IsClosed"), r.Get("ClosedDate"))
	}
}

func TestReturnedRecordsAreCopies(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Account", Values{"Name": "Acme", "BillingCity": "Oslo"})
	r, _ := org.Get(id)
	r.Fields["Name"] = "changed"
	r.Fields["BillingAddress"].(Values)["City"] = "changed"
	again, _ := org.Get(id)
	if again.Get("Name") != "Acme" || again.Get("BillingAddress.City") != "Oslo" {
		t.Errorf("store was changed through a returned record: %v", again.Fields)
	}
}

func TestConcurrentDMLKeepsEveryChangeAndItsEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	tip := org.Bus().Tip()
	const workers, each = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id, err := org.Create("Case", Values{"Subject": fmt.Sprintf("w%d-%d", w, i)})
				if err == nil {
					err = org.Update(id, Values{"Status": "Working"})
				}
				if err != nil {
					t.Error(err)
				}
				org.Records("Case")
				org.Channels()
			}
		})
	}
	wg.Wait()
	if n := org.Count("Case"); n != workers*each {
		t.Errorf("%d cases, want %d", n, workers*each)
	}
	if n := org.Bus().Tip() - tip; n != 2*workers*each {
		t.Errorf("%d events, want %d", n, 2*workers*each)
	}
}

func TestEmptyingTheRecycleBinRemovesRecordsWithoutEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	keep := createForTest(t, org, "Case", Values{"Subject": "keep"})
	purge := createForTest(t, org, "Case", Values{"Subject": "purge"})
	if err := org.EmptyRecycleBin(keep); !errors.Is(err, ErrRecordNotDeleted) {
		t.Errorf("purging a live record: %v", err)
	}
	if err := org.Delete(purge); err != nil {
		t.Fatal(err)
	}
	tip := org.Bus().Tip()
	if err := org.EmptyRecycleBin(purge); err != nil {
		t.Fatal(err)
	}
	if _, ok := org.Get(purge); ok || org.Count("Case") != 1 || org.Bus().Tip() != tip {
		t.Errorf("after purge: found %v, %d cases, bus moved %d", ok, org.Count("Case"), org.Bus().Tip()-tip)
	}
}
