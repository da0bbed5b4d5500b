package mapper

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustMapper(t testing.TB, objects ...ObjectMapping) *Mapper {
	t.Helper()
	m, err := New(Config{Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func emailRecord() Record {
	return Record{Object: "EmailMessage", ID: "02s000000000001AAA", Fields: map[string]any{
		"Subject": "Hello", "TextBody": "Body text", "FromAddress": "a@x.com",
		"ToAddress": "b@y.com;c@z.com", "MessageDate": int64(1714557600000),
		"ParentId": "500000000000001AAA", "Status": "3", "Incoming": true,
		"Parent.CaseNumber": "00001234",
	}}
}

func TestTheSameRecordAlwaysYieldsAByteIdenticalComment(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "EmailMessage", Comment: CommentMapping{Properties: map[string]string{
		"Case Number": "Parent.CaseNumber", "A": "Status", "Z": "Subject", "M": "FromAddress",
	}}})
	first, err := m.Map(emailRecord())
	if err != nil {
		t.Fatal(err)
	}
	for range 200 { // map iteration order varies between runs; output must not
		again, err := m.Map(emailRecord())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.JSON, again.JSON) || first.Hashes != again.Hashes {
			t.Fatalf("mapping differs:\n%s\n%s", first.JSON, again.JSON)
		}
	}
}

func TestRelationshipFieldsAreReadFlattenedOrNested(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "EmailMessage", Comment: CommentMapping{Properties: map[string]string{
		"Case Number": "Parent.CaseNumber", "Owner": "Parent.Owner.Name"}}})
	flat := emailRecord()
	flat.Fields["Parent.Owner.Name"] = "Dana"
	nested := emailRecord()
	delete(nested.Fields, "Parent.CaseNumber")
	nested.Fields["Parent"] = map[string]any{"attributes": map[string]any{"type": "Case"},
		"CaseNumber": "00001234", "Owner": map[string]any{"Name": "Dana"}}
	a, err := m.Map(flat)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Map(nested)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.JSON, b.JSON) {
		t.Errorf("flattened and nested records map differently:\n%s\n%s", a.JSON, b.JSON)
	}
	if !bytes.Contains(a.JSON, []byte(`"string:Case Number":"00001234"`)) || !bytes.Contains(a.JSON, []byte(`"string:Owner":"Dana"`)) {
		t.Errorf("relationship properties missing: %s", a.JSON)
	}
}

func TestPropertiesAreTypedByValueAndEmptyOnesOmitted(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "Thing__c", Comment: CommentMapping{Body: FieldList{"Text__c"},
		Properties: map[string]string{
			"Count": "Count__c", "Ratio": "Ratio__c", "Flag": "Flag__c", "When": "When__c",
			"Code": "Code__c", "Forced": "number:Code__c", "AsText": "string:Count__c",
			"Blank": "Blank__c", "Null": "Null__c", "NaN": "number:Bad__c", "Absent": "Nope__c",
		}}})
	rec := Record{Object: "Thing__c", ID: "a01", Fields: map[string]any{
		"Text__c": "x", "CreatedDate": "2024-01-01T00:00:00Z",
		"Count__c": int64(3), "Ratio__c": 0.25, "Flag__c": false,
		"When__c": time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC), "Code__c": "42",
		"Blank__c": "  \t", "Null__c": nil, "Bad__c": "not a number",
	}}
	res, err := m.Map(rec)
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.JSON)
	for _, want := range []string{
		`"number:Count":3`, `"number:Ratio":0.25`, `"string:Flag":"false"`,
		`"string:When":"2024-02-03T04:05:06.000Z"`, `"string:Code":"42"`, `"number:Forced":42`,
		`"string:AsText":"3"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	for _, absent := range []string{"Blank", "Null", "NaN", "Absent"} {
		if strings.Contains(got, ":"+absent+`"`) {
			t.Errorf("empty property %s was not omitted: %s", absent, got)
		}
	}
}

func TestOverlongTextIsCutAndTheCutRecorded(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "Case"})
	rec := Record{Object: "Case", ID: "500", Fields: map[string]any{
		"Description": strings.Repeat("word ", MaxTextChars), "Subject": "s", "CreatedDate": "2024-01-01T00:00:00Z",
	}}
	res, err := m.Map(rec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := res.Comment()
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(c.Messages[0].Body)); n > MaxTextChars || n < MaxTextChars-300 {
		t.Errorf("body has %d characters, want just under %d", n, MaxTextChars)
	}
	if !bytes.Contains(res.JSON, []byte(`"string:Truncated":"body"`)) {
		t.Errorf("the cut is not recorded in a property")
	}
}

func TestBodyTakesTheFirstNonEmptyFieldAndConvertsHTML(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "EmailMessage"})
	rec := emailRecord()
	rec.Fields["TextBody"] = " \r\n "
	rec.Fields["HtmlBody"] = "<p>From <b>HTML</b></p>"
	res, err := m.Map(rec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := res.Comment()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Messages[0].Body; got != "From HTML" {
		t.Errorf("body = %q, want the converted HTML body", got)
	}
}

func TestDeletedRecordsDeleteOrKeepTheirCommentByPolicy(t *testing.T) {
	del := mustMapper(t, ObjectMapping{Object: "Case"})
	keep := mustMapper(t, ObjectMapping{Object: "Case", OnDelete: KeepComment})
	rec := Record{Object: "Case", ID: "500x", Deleted: true}
	if r, err := del.Map(rec); err != nil || r.Kind != ResultDelete || r.CommentID != "sf.Case.500x" {
		t.Errorf("default policy: %+v, %v; want a delete of sf.Case.500x", r, err)
	}
	if r, err := keep.Map(rec); err != nil || r.Kind != ResultKeep {
		t.Errorf("keep policy: %+v, %v; want keep", r, err)
	}
}

func TestRecordsThatCannotBeMappedGiveTypedErrors(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "Case"})
	_, err := m.Map(Record{Object: "Lead", ID: "00Q"})
	if !errors.Is(err, ErrUnknownObject) {
		t.Errorf("unknown object: %v, want ErrUnknownObject", err)
	}
	_, err = m.Map(Record{Object: "Case", ID: "500", Fields: map[string]any{"Subject": "x"}})
	var re *RecordError
	if !errors.As(err, &re) || re.Field != "CreatedDate" {
		t.Errorf("missing timestamp: %v, want a RecordError naming CreatedDate", err)
	}
	_, err = m.Map(Record{Object: "Case", Fields: map[string]any{"CreatedDate": "2024-01-01"}})
	if !errors.As(err, &re) || re.Field != "Id" {
		t.Errorf("missing ID: %v, want a RecordError naming Id", err)
	}
}

func TestTimestampsAreReadFromEveryFormSalesforceUses(t *testing.T) {
	want := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, v := range []any{
		int64(1714557600000), 1714557600000.0, want, want.In(time.FixedZone("X", 7200)),
		"2024-05-01T10:00:00.000+0000", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00",
	} {
		got, ok := valueTime(v)
		if !ok || !got.Equal(want) {
			t.Errorf("valueTime(%#v) = %v, %v; want %v", v, got, ok, want)
		}
	}
	if _, ok := valueTime("yesterday"); ok {
		t.Error("valueTime accepted text that is not a time")
	}
}

func TestFetchFieldsListEveryFieldTheCommentUses(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "Case", Fields: []string{"Extra__c"}})
	got, err := m.FetchFields("Case")
	if err != nil {
		t.Fatal(err)
	}
	want := "CaseNumber,CreatedDate,Description,Extra__c,Id,Origin,Priority,Status,Subject"
	if strings.Join(got, ",") != want {
		t.Errorf("FetchFields(Case) = %v, want %s", got, want)
	}
}
