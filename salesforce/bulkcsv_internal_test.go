package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testDescribes is a tiny org: Case with a parent Case and an owner that
// may be a User or a Group.
var testDescribes = map[string]ObjectDescription{
	"Case": {Name: "Case", Fields: []FieldDescription{
		{Name: "Id", Type: "id"},
		{Name: "Subject", Type: "string"},
		{Name: "Description", Type: "textarea"},
		{Name: "IsEscalated", Type: "boolean"},
		{Name: "Amount__c", Type: "currency"},
		{Name: "Seats__c", Type: "int"},
		{Name: "ClosedDate", Type: "datetime"},
		{Name: "Due__c", Type: "date"},
		{Name: "ParentId", Type: "reference", RelationshipName: "Parent", ReferenceTo: []string{"Case"}},
		{Name: "OwnerId", Type: "reference", RelationshipName: "Owner", ReferenceTo: []string{"Group", "User"}},
	}},
}

func testDescriber(_ context.Context, object string) (ObjectDescription, error) {
	d, ok := testDescribes[object]
	if !ok {
		return ObjectDescription{}, errors.New("no such object")
	}
	return d, nil
}

// decodeBulkCSV reads a whole page of Case records as Results does.
func decodeBulkCSV(body io.Reader, maxRecord int64) ([]Record, error) {
	rd := newBulkPageReader(body, ',', maxRecord)
	header, err := rd.readHeader()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	schema, err := newBulkSchema(context.Background(), "Case", "v62.0", header, testDescriber)
	if err != nil {
		return nil, err
	}
	var out []Record
	for {
		fields, err := rd.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec, err := schema.record(fields)
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func mustDecode(t *testing.T, body string) []Record {
	t.Helper()
	recs, err := decodeBulkCSV(strings.NewReader(body), 0)
	if err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return recs
}

func TestBulkCSVKeepsEveryCarriageReturnInsideQuotedValues(t *testing.T) {
	t.Parallel()
	for _, want := range []string{"line one\r\nline two\r\n", "a\rb", "\r\n\r\n", "tail\r"} {
		for _, eol := range []string{"\n", "\r\n"} {
			body := `"Id","Description"` + eol + `"5005Y0000000001QAA","` + want + `"` + eol
			recs := mustDecode(t, body)
			if got := recs[0]["Description"]; got != want {
				t.Errorf("line ending %q: Description = %q, want %q", eol, got, want)
			}
		}
	}
}

func TestBulkCSVKeepsTheGuardsEscapeByteAndNULBytesAsSent(t *testing.T) {
	t.Parallel()
	want := "x\x1Ar\x1As\x1A\x00y\x00"
	recs := mustDecode(t, "\"Id\",\"Subject\"\n\"1\",\""+want+"\"\n")
	if got := recs[0]["Subject"]; got != want {
		t.Fatalf("Subject = %q, want %q", got, want)
	}
}

func TestBulkCSVSkipsALeadingByteOrderMark(t *testing.T) {
	t.Parallel()
	recs := mustDecode(t, "\xEF\xBB\xBF\"Id\",\"Subject\"\n\"1\",\"Accents é and emoji 📨\"\n")
	if got := recs[0]["Subject"]; got != "Accents é and emoji 📨" {
		t.Fatalf("Subject = %q", got)
	}
}

func TestBulkCSVGivesRESTsGoValuesForEachDescribeType(t *testing.T) {
	t.Parallel()
	body := strings.Join([]string{
		`"Id","subject","IsEscalated","Amount__c","Seats__c","ClosedDate","Due__c","Parent.Subject","Parent.Parent.Subject","Owner.Name"`,
		`"5005Y0000000001QAA","Printer","true","1250.50","3","2026-11-01T09:00:00.000Z","2026-11-02","Parent case","","Queue A"`,
		`"5005Y0000000002QAA","","false","","","2026-11-01T09:00:00.000+0000","","","",""`,
	}, "\n") + "\n"
	recs := mustDecode(t, body)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	want0 := Record{
		"attributes":  map[string]any{"type": "Case", "url": "/services/data/v62.0/sobjects/Case/5005Y0000000001QAA"},
		"Id":          "5005Y0000000001QAA",
		"Subject":     "Printer",
		"IsEscalated": true,
		"Amount__c":   json.Number("1250.50"),
		"Seats__c":    json.Number("3"),
		"ClosedDate":  at,
		"Due__c":      "2026-11-02",
		"Parent":      map[string]any{"attributes": map[string]any{"type": "Case"}, "Subject": "Parent case", "Parent": nil},
		"Owner":       map[string]any{"attributes": map[string]any{}, "Name": "Queue A"},
	}
	if !reflect.DeepEqual(recs[0], want0) {
		t.Errorf("first record:\n got %#v\nwant %#v", recs[0], want0)
	}
	want1 := Record{
		"attributes":  map[string]any{"type": "Case", "url": "/services/data/v62.0/sobjects/Case/5005Y0000000002QAA"},
		"Id":          "5005Y0000000002QAA",
		"Subject":     nil,
		"IsEscalated": false,
		"Amount__c":   nil,
		"Seats__c":    nil,
		"ClosedDate":  at,
		"Due__c":      nil,
		"Parent":      nil,
		"Owner":       nil,
	}
	if !reflect.DeepEqual(recs[1], want1) {
		t.Errorf("second record:\n got %#v\nwant %#v", recs[1], want1)
	}
}

func TestBulkCSVTurnsATextValueShapedLikeARESTDateTimeIntoATimeAsRESTDoes(t *testing.T) {
	t.Parallel()
	recs := mustDecode(t, "\"Id\",\"Subject\"\n\"1\",\"2026-11-01T09:00:00.000+0000\"\n")
	if _, ok := recs[0]["Subject"].(time.Time); !ok {
		t.Fatalf("Subject = %#v, want the time.Time the REST decoder makes of it", recs[0]["Subject"])
	}
}

func TestBulkCSVReadsAPageWithoutRowsOrWithoutEvenAHeader(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "\"Id\",\"Subject\"\n"} {
		if recs := mustDecode(t, body); len(recs) != 0 {
			t.Errorf("%q gave %d records", body, len(recs))
		}
	}
}

func TestBulkCSVRefusesMalformedPagesWithAClearError(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"bare quote":           "\"Id\",\"Subject\"\n\"1\",ab\"c\n",
		"unterminated quote":   "\"Id\",\"Subject\"\n\"1\",\"abc\n",
		"ragged row":           "\"Id\",\"Subject\"\n\"1\",\"a\",\"b\"\n",
		"repeated column":      "\"Id\",\"id\"\n\"1\",\"2\"\n",
		"unnamed column":       "\"Id\",\"\"\n\"1\",\"2\"\n",
		"invalid UTF-8":        "\"Id\",\"Subject\"\n\"1\",\"\xff\xfe\"\n",
		"not a boolean":        "\"Id\",\"IsEscalated\"\n\"1\",\"yes\"\n",
		"not a number":         "\"Id\",\"Seats__c\"\n\"1\",\"three\"\n",
		"not a date-time":      "\"Id\",\"ClosedDate\"\n\"1\",\"yesterday\"\n",
		"pages glued together": "\"Id\",\"Subject\"\n\"1\",\"a\"\"Id\",\"Subject\"\n",
	}
	for name, body := range cases {
		_, err := decodeBulkCSV(strings.NewReader(body), 0)
		if !errors.Is(err, ErrBulkMalformedCSV) {
			t.Errorf("%s: got %v, want ErrBulkMalformedCSV", name, err)
		}
	}
}

func TestBulkCSVRefusesARecordLargerThanTheCapBeforeBufferingIt(t *testing.T) {
	t.Parallel()
	body := io.MultiReader(strings.NewReader("\"Id\",\"Subject\"\n\"1\",\""), endless('x'))
	_, err := decodeBulkCSV(body, 1<<20)
	if !errors.Is(err, ErrBulkRecordTooLarge) {
		t.Fatalf("got %v, want ErrBulkRecordTooLarge", err)
	}
	recs, err := decodeBulkCSV(strings.NewReader("\"Id\",\"Subject\"\n\"1\",\"a\"\n\"2\",\"b\"\n"), 20)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records within the cap: got %d, %v", len(recs), err)
	}
}

// endless is a reader that never ends.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// FuzzBulkCSV: whatever a results page holds, reading it ends in records
// or an error, never a panic, and no record outgrows the cap.
func FuzzBulkCSV(f *testing.F) {
	f.Add([]byte("\"Id\",\"Subject\",\"IsEscalated\",\"ClosedDate\",\"Owner.Name\"\n\"1\",\"a\r\nb\",\"true\",\"2026-11-01T09:00:00.000Z\",\"\"\n"))
	f.Add([]byte("\xEF\xBB\xBF\"Id\"\n\"\x00\"\n"))
	f.Add([]byte("\"Id\",\"Subject\"\n\"1\",\"\x1A\x1Ar\"\"\"\n"))
	f.Add([]byte("\"Id\",\"Subject\"\n\"1\",ab\"c\n"))
	f.Add([]byte("\"Parent.Parent.Parent.Subject\"\n\"\xff\"\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxRecord = 4 << 10
		recs, err := decodeBulkCSV(strings.NewReader(string(body)), maxRecord)
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
		for _, r := range recs {
			for k, v := range r {
				if s, ok := v.(string); ok && len(s) > maxRecord {
					t.Fatalf("field %s holds %d bytes, over the %d-byte record cap", k, len(s), maxRecord)
				}
			}
		}
	})
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestBulkCSVReportsACutConnectionAsSuchAndNotAsMalformedCSV(t *testing.T) {
	t.Parallel()
	cut := errors.New("connection reset by peer")
	body := io.MultiReader(strings.NewReader("\"Id\",\"Subject\"\n\"1\",\"half a val"), failingReader{cut})
	_, err := decodeBulkCSV(body, 0)
	if !errors.Is(err, cut) || errors.Is(err, ErrBulkMalformedCSV) {
		t.Fatalf("got %v, want the connection's error and not ErrBulkMalformedCSV", err)
	}
}
