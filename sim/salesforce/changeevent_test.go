package salesforce

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// namesOf expands a header bitmap list into field names of the event's schema.
func namesOf(t *testing.T, org *Org, ev PublishedEvent, entries []string) []string {
	t.Helper()
	s, _ := org.Schema(ev.SchemaID)
	fs, err := ParseFieldSet(entries)
	if err != nil {
		t.Fatalf("ParseFieldSet(%q): %v", entries, err)
	}
	var out []string
	for _, p := range fs.Top {
		out = append(out, s.Body[p-1].Name)
	}
	for p, comps := range fs.Components {
		for _, c := range comps {
			out = append(out, s.Body[p-1].Name+"."+s.Body[p-1].Components[c].Name)
		}
	}
	slices.Sort(out)
	return out
}

func onlyEvent(t *testing.T, cm Commit) PublishedEvent {
	t.Helper()
	if len(cm.Events) != 1 {
		t.Fatalf("commit produced %d events, want 1: %+v", len(cm.Events), cm.Events)
	}
	return cm.Events[0]
}

func TestCreateEventCarriesEveryFieldAndAFullHeader(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{})
	var caseID string
	cm := commitForTest(t, org, func(tx *Tx) error {
		var err error
		caseID, err = tx.Create("Case", Values{"Subject": "Printer on fire", "Status": "New", "Priority": "High", "Origin": "Email"})
		return err
	})
	ev := onlyEvent(t, cm)
	got := decodeOrgEvent(t, org, ev)
	h := got.Header
	checks := map[string]any{
		"entityName": "Case", "changeType": "CREATE", "changeOrigin": DefaultChangeOrigin,
		"transactionKey": cm.TransactionKey, "sequenceNumber": int32(1),
		"commitTimestamp": clock.Now().UnixMilli(), "commitNumber": cm.CommitNumber, "commitUser": org.UserID(),
	}
	for k, want := range checks {
		if h[k] != want {
			t.Errorf("header %s = %v (%T), want %v (%T)", k, h[k], h[k], want, want)
		}
	}
	if ids := headerStrings(h, "recordIds"); !slices.Equal(ids, []string{caseID}) {
		t.Errorf("recordIds = %v, want [%s]", ids, caseID)
	}
	for _, k := range []string{"changedFields", "nulledFields", "diffFields"} {
		if v := headerStrings(h, k); len(v) != 0 {
			t.Errorf("%s = %v, want empty on CREATE", k, v)
		}
	}
	body := got.Body
	wantBody := map[string]any{
		"Subject": "Printer on fire", "Status": "New", "CaseNumber": "00001001", "IsClosed": false,
		"OwnerId": org.UserID(), "CreatedById": org.UserID(), "CreatedDate": orgTestEpoch.UnixMilli(),
		"LastModifiedDate": orgTestEpoch.UnixMilli(), "Description": nil, "ContactId": nil,
	}
	for k, want := range wantBody {
		if body[k] != want {
			t.Errorf("body %s = %v (%T), want %v", k, body[k], body[k], want)
		}
	}
	if cm.CommitNumber <= 1<<53 {
		t.Errorf("commitNumber %d does not exceed 2^53", cm.CommitNumber)
	}
	if ev.Entity != "Case" || ev.EventUUID == "" {
		t.Errorf("bus event routing fields: entity %q, uuid %q", ev.Entity, ev.EventUUID)
	}
}

func TestUpdateEventCarriesOnlyChangedFields(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Case", Values{"Subject": "Old", "Description": "Some text", "Status": "New"})
	clock.Advance(time.Minute)
	cm := commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"Subject": "New subject", "Description": nil}) })
	ev := onlyEvent(t, cm)
	got := decodeOrgEvent(t, org, ev)
	if got.Header["changeType"] != "UPDATE" {
		t.Fatalf("changeType %v", got.Header["changeType"])
	}
	if names := namesOf(t, org, ev, headerStrings(got.Header, "changedFields")); !slices.Equal(names, []string{"Description", "LastModifiedDate", "Subject"}) {
		t.Errorf("changedFields name %v", names)
	}
	if names := namesOf(t, org, ev, headerStrings(got.Header, "nulledFields")); !slices.Equal(names, []string{"Description"}) {
		t.Errorf("nulledFields name %v", names)
	}
	for k, v := range got.Body {
		want := map[string]any{"Subject": "New subject", "LastModifiedDate": clock.Now().UnixMilli()}[k]
		if v != want {
			t.Errorf("body %s = %v, want %v (unchanged fields are null)", k, v, want)
		}
	}
}

func TestAddressComponentUpdateLooksLikeTheRealEvent(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Account", Values{"Name": "Acme", "Phone": "555-0100"})
	clock.Advance(time.Second)
	ev := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error {
		return tx.Update(id, Values{"BillingCity": "San Francisco", "BillingState": "CA"})
	}))
	got := decodeOrgEvent(t, org, ev)
	if cf := headerStrings(got.Header, "changedFields"); !slices.Equal(cf, []string{"0x400000", "4-0x06"}) {
		t.Errorf("changedFields = %q, want [0x400000 4-0x06]", cf)
	}
	var real struct {
		Payload map[string]any `json:"payload"`
	}
	readFixtureJSON(t, "AccountChangeEvent.update.decoded.pozil-readme.json", &real)
	for k, want := range real.Payload {
		if k == "ChangeEventHeader" {
			continue
		}
		if (want == nil) != (got.Body[k] == nil) {
			t.Errorf("field %s: real event has %v, simulated has %v", k, want, got.Body[k])
		}
	}
	billing := got.Body["BillingAddress"].(map[string]any)
	for _, c := range addressField("BillingAddress", "Billing").Components {
		want := map[string]any{"City": "San Francisco", "State": "CA"}[c.Name]
		if billing[c.Name] != want {
			t.Errorf("BillingAddress.%s = %v, want %v", c.Name, billing[c.Name], want)
		}
	}
}

func TestNulledAddressComponentIsReportedUnderItsParent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Account", Values{"Name": "Acme", "BillingAddress": Values{"City": "Paris", "Country": "France"}})
	ev := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"BillingCity": nil}) }))
	h := decodeOrgEvent(t, org, ev).Header
	if nf := headerStrings(h, "nulledFields"); !slices.Equal(nf, []string{"4-0x02"}) {
		t.Errorf("nulledFields = %q, want [4-0x02]", nf)
	}
}

func TestDeleteEventIsHeaderOnlyAndUndeleteCarriesTheRecord(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Task", Values{"Subject": "Call back", "Status": "Not Started", "ActivityDate": "2026-03-20"})
	del := decodeOrgEvent(t, org, onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Delete(id) })))
	if del.Header["changeType"] != "DELETE" {
		t.Errorf("changeType %v", del.Header["changeType"])
	}
	for k, v := range del.Body {
		if v != nil {
			t.Errorf("DELETE body field %s = %v, want null", k, v)
		}
	}
	und := decodeOrgEvent(t, org, onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Undelete(id) })))
	if und.Header["changeType"] != "UNDELETE" || und.Body["Subject"] != "Call back" {
		t.Errorf("UNDELETE event: %v, Subject %v", und.Header["changeType"], und.Body["Subject"])
	}
	days := int32(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	if und.Body["ActivityDate"] != days {
		t.Errorf("ActivityDate = %v, want %d days since the epoch", und.Body["ActivityDate"], days)
	}
}

func TestSequenceNumbersSkipChangesOfObjectsWithoutChangeEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	caseID := createForTest(t, org, "Case", Values{"Subject": "x"})
	cm := commitForTest(t, org, func(tx *Tx) error {
		if err := tx.Update(caseID, Values{"Status": "Working"}); err != nil {
			return err
		}
		if _, err := tx.Create("CaseComment", Values{"ParentId": caseID, "CommentBody": "internal note"}); err != nil {
			return err
		}
		_, err := tx.Create("EmailMessage", Values{"ParentId": caseID, "Subject": "Re: x"})
		return err
	})
	var seqs []int32
	for _, ev := range cm.Events {
		seqs = append(seqs, ev.Header.SequenceNumber)
		if ev.Header.TransactionKey != cm.TransactionKey {
			t.Errorf("event has transactionKey %s, want %s", ev.Header.TransactionKey, cm.TransactionKey)
		}
	}
	if !slices.Equal(seqs, []int32{1, 3}) {
		t.Errorf("sequence numbers %v, want [1 3] (the CaseComment change has no event)", seqs)
	}
}

func TestFailedTransactionLeavesNoRecordsAndNoEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	tip := org.Bus().Tip()
	_, err := org.Transaction(func(tx *Tx) error {
		if _, err := tx.Create("Case", Values{"Subject": "kept?"}); err != nil {
			return err
		}
		_, err := tx.Create("Case", Values{"NoSuchField": 1})
		return err
	})
	if err == nil {
		t.Fatal("transaction with a bad field succeeded")
	}
	if org.Count("Case") != 0 || org.Bus().Tip() != tip {
		t.Errorf("failed transaction left %d cases and moved the bus tip", org.Count("Case"))
	}
}

func TestSameChangeToAdjacentRecordsIsOneMergedEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	var ids []string
	for range 4 {
		ids = append(ids, createForTest(t, org, "Case", Values{"Subject": "bulk", "Status": "New"}))
	}
	cm := commitForTest(t, org, func(tx *Tx) error {
		for _, id := range ids[:3] {
			if err := tx.Update(id, Values{"Status": "Escalated"}); err != nil {
				return err
			}
		}
		return tx.Update(ids[3], Values{"Status": "Working"})
	})
	if len(cm.Events) != 2 {
		t.Fatalf("got %d events, want 2 (one merged, one distinct)", len(cm.Events))
	}
	merged := decodeOrgEvent(t, org, cm.Events[0])
	if got := headerStrings(merged.Header, "recordIds"); !slices.Equal(got, ids[:3]) {
		t.Errorf("merged recordIds = %v, want %v", got, ids[:3])
	}
	if cm.Events[1].Header.SequenceNumber != 4 {
		t.Errorf("distinct event has sequence %d, want 4", cm.Events[1].Header.SequenceNumber)
	}
}

func TestRepeatedChangesToOneRecordAreNotMerged(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Case", Values{"Status": "New"})
	cm := commitForTest(t, org, func(tx *Tx) error {
		if err := tx.Update(id, Values{"Priority": "High"}); err != nil {
			return err
		}
		return tx.Update(id, Values{"Priority": "High"})
	})
	if len(cm.Events) != 2 {
		t.Errorf("got %d events, want 2", len(cm.Events))
	}
}

func TestDeletesOfSeveralRecordsMergeIntoOneEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	a, b := createForTest(t, org, "Case", Values{"Subject": "a"}), createForTest(t, org, "Case", Values{"Subject": "b"})
	cm := commitForTest(t, org, func(tx *Tx) error {
		if err := tx.Delete(a); err != nil {
			return err
		}
		return tx.Delete(b)
	})
	if ev := onlyEvent(t, cm); !slices.Equal(ev.Header.RecordIDs, []string{a, b}) {
		t.Errorf("recordIds %v", ev.Header.RecordIDs)
	}
}

func TestOversizedEventBecomesAHeaderOnlyGapEvent(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{MaxEventBytes: 4000})
	big := strings.Repeat("<p>Lorem ipsum dolor sit amet.</p>\n", 200)
	var id string
	cm := commitForTest(t, org, func(tx *Tx) error {
		var err error
		id, err = tx.Create("EmailMessage", Values{"Subject": "huge", "HtmlBody": big})
		return err
	})
	ev := onlyEvent(t, cm)
	got := decodeOrgEvent(t, org, ev)
	if got.Header["changeType"] != "GAP_CREATE" || !slices.Equal(headerStrings(got.Header, "recordIds"), []string{id}) {
		t.Errorf("header %v", got.Header)
	}
	for k, v := range got.Body {
		if v != nil {
			t.Errorf("gap event body field %s = %v, want null", k, v)
		}
	}
	small := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"Subject": "still huge?"}) }))
	if small.Header.ChangeType != ChangeUpdate {
		t.Errorf("a small update became %s", small.Header.ChangeType)
	}
}

func TestTransactionPastTheChangeLimitEndsInOneOverflowEventPerEntity(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{MaxTransactionChanges: 5})
	cm := commitForTest(t, org, func(tx *Tx) error {
		for i, object := range []string{"Case", "Case", "Case", "Case", "EmailMessage", "EmailMessage", "Task", "EmailMessage", "Task"} {
			if _, err := tx.Create(object, Values{"Subject": strings.Repeat("s", i+1)}); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	for _, ev := range cm.Events {
		got = append(got, ev.Entity+":"+string(ev.Header.ChangeType))
		if ev.Header.ChangeType == GapOverflow && !slices.Equal(ev.Header.RecordIDs, []string{OverflowRecordID}) {
			t.Errorf("overflow recordIds %v", ev.Header.RecordIDs)
		}
	}
	want := []string{"Case:CREATE", "Case:CREATE", "Case:CREATE", "Case:CREATE", "EmailMessage:CREATE", "EmailMessage:GAP_OVERFLOW", "Task:GAP_OVERFLOW"}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
}

func TestEachChangedFieldCountsTowardTheOverflowLimit(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{MaxTransactionChanges: 3})
	id := createForTest(t, org, "Case", Values{"Subject": "x"})
	cm := commitForTest(t, org, func(tx *Tx) error {
		return tx.Update(id, Values{"Subject": "y", "Priority": "Low", "Origin": "Web"}) // 3 fields + LastModifiedDate
	})
	if ev := onlyEvent(t, cm); ev.Header.ChangeType != GapOverflow {
		t.Errorf("a 4-field update under a limit of 3 gave %s", ev.Header.ChangeType)
	}
}

func TestCommitNumbersIncreasePastTwoToTheFiftyThird(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	last := int64(0)
	for range 5 {
		cm := commitForTest(t, org, func(tx *Tx) error { _, err := tx.Create("Case", nil); return err })
		if cm.CommitNumber <= last || cm.CommitNumber <= 1<<53 || cm.CommitNumber == math.MaxInt64 {
			t.Errorf("commit number %d after %d", cm.CommitNumber, last)
		}
		last = cm.CommitNumber
	}
}

func TestTransactionOptionsSetOriginAndUser(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	user := newRecordID(PrefixUser, 777)
	opts := TxOptions{UserID: user, ChangeOrigin: "com/salesforce/api/soap/61.0;client=SfdcInternalAPI/"}
	cm, err := org.TransactionWith(opts, func(tx *Tx) error { _, err := tx.Create("Case", nil); return err })
	if err != nil {
		t.Fatal(err)
	}
	ev := onlyEvent(t, cm)
	if ev.Header.CommitUser != user || ev.Header.ChangeOrigin != opts.ChangeOrigin {
		t.Errorf("header user %s origin %s", ev.Header.CommitUser, ev.Header.ChangeOrigin)
	}
	if body := decodeOrgEvent(t, org, ev).Body; body["CreatedById"] != user || body["OwnerId"] != user {
		t.Errorf("audit user %v owner %v, want %s", body["CreatedById"], body["OwnerId"], user)
	}
}

func TestHeaderStructMatchesTheEncodedHeader(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id := createForTest(t, org, "Case", Values{"Subject": "x"})
	ev := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"Subject": "y"}) }))
	h := decodeOrgEvent(t, org, ev).Header
	got := ChangeEventHeader{
		EntityName: h["entityName"].(string), RecordIDs: headerStrings(h, "recordIds"), ChangeType: ChangeType(h["changeType"].(string)),
		ChangeOrigin: h["changeOrigin"].(string), TransactionKey: h["transactionKey"].(string), SequenceNumber: h["sequenceNumber"].(int32),
		CommitTimestamp: h["commitTimestamp"].(int64), CommitNumber: h["commitNumber"].(int64), CommitUser: h["commitUser"].(string),
		NulledFields: headerStrings(h, "nulledFields"), DiffFields: headerStrings(h, "diffFields"), ChangedFields: headerStrings(h, "changedFields"),
	}
	if !reflect.DeepEqual(got, ev.Header) {
		t.Errorf("decoded header %+v\nreturned header %+v", got, ev.Header)
	}
}

func TestDatabaseLevelChangesProduceGapEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	a, b := createForTest(t, org, "Case", Values{"Subject": "a"}), createForTest(t, org, "Case", Values{"Subject": "b"})
	cm, err := org.TransactionWith(TxOptions{DatabaseLevel: true}, func(tx *Tx) error {
		if err := tx.Delete(a); err != nil {
			return err
		}
		return tx.Delete(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := onlyEvent(t, cm)
	if ev.Header.ChangeType != GapDelete || !slices.Equal(ev.Header.RecordIDs, []string{a, b}) {
		t.Errorf("got %s for %v, want one merged GAP_DELETE", ev.Header.ChangeType, ev.Header.RecordIDs)
	}
}
