package pubsub

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

const emailMessageTopic = "/data/EmailMessageChangeEvent"

func consumerEventOf(schemaID string, replayID []byte, payload []byte) *eventbusv1.ConsumerEvent {
	return &eventbusv1.ConsumerEvent{
		Event:    &eventbusv1.ProducerEvent{Id: "uuid-" + schemaID, SchemaId: schemaID, Payload: payload},
		ReplayId: replayID,
	}
}

func newTestDecoder(schemas map[string]string) *Decoder {
	return NewDecoder(NewSchemaCache(newMemorySource(schemas), 0))
}

// assertEventEqual compares field by field so a failure names what differs.
func assertEventEqual(t *testing.T, got, want *Event) {
	t.Helper()
	if got.Topic != want.Topic || !bytes.Equal(got.ReplayID, want.ReplayID) || got.SchemaID != want.SchemaID || got.EventUUID != want.EventUUID {
		t.Errorf("identity = %q %x %q %q, want %q %x %q %q", got.Topic, got.ReplayID, got.SchemaID, got.EventUUID,
			want.Topic, want.ReplayID, want.SchemaID, want.EventUUID)
	}
	if !reflect.DeepEqual(got.Header, want.Header) {
		t.Errorf("Header\n got %+v\nwant %+v", got.Header, want.Header)
	}
	for name, w := range want.Fields {
		g, ok := got.Fields[name]
		if !ok {
			t.Errorf("Fields[%q] missing, want %#v", name, w)
		} else if !reflect.DeepEqual(g, w) {
			t.Errorf("Fields[%q] = %#v (%T), want %#v (%T)", name, g, g, w, w)
		}
	}
	for name, g := range got.Fields {
		if _, ok := want.Fields[name]; !ok {
			t.Errorf("unexpected Fields[%q] = %#v", name, g)
		}
	}
}

// The README event behind the fixture, re-encoded with its bitmap, decodes to
// the values and the expanded changedFields the fixture shows.
func TestDecodeReproducesTheDecodedAccountEventOfTheFixture(t *testing.T) {
	t.Parallel()
	var fixture struct {
		ID       string         `json:"id"`
		SchemaID string         `json:"schemaId"`
		ReplayID uint64         `json:"replayId"`
		Payload  map[string]any `json:"payload"`
	}
	decoder := json.NewDecoder(bytes.NewReader([]byte(mustReadFile(t, accountDecodedEventPath))))
	decoder.UseNumber()
	if err := decoder.Decode(&fixture); err != nil {
		t.Fatal(err)
	}
	header := fixture.Payload["ChangeEventHeader"].(map[string]any)
	expandedInFixture := header["changedFields"]
	header["changedFields"] = []string{"0x400000", "4-0x06"}
	accountSchema := mustReadFile(t, accountSchemaPath)
	payload := encodeJSON(t, accountSchema, fixture.Payload)
	replayID := binary.BigEndian.AppendUint64(nil, fixture.ReplayID)

	got, err := newTestDecoder(map[string]string{fixture.SchemaID: accountSchema}).
		Decode(context.Background(), "/data/AccountChangeEvent", &eventbusv1.ConsumerEvent{
			Event:    &eventbusv1.ProducerEvent{Id: fixture.ID, SchemaId: fixture.SchemaID, Payload: payload},
			ReplayId: replayID,
		})
	if err != nil {
		t.Fatal(err)
	}

	want := &Event{
		Topic: "/data/AccountChangeEvent", ReplayID: replayID, SchemaID: fixture.SchemaID, EventUUID: fixture.ID,
		Header: &ChangeEventHeader{
			EntityName:       "Account",
			RecordIDs:        []string{"0014H00002LbR7QQAV"},
			ChangeType:       ChangeUpdate,
			ChangeOrigin:     "com/salesforce/api/soap/58.0;client=SfdcInternalAPI/",
			TransactionKey:   "000046c7-a642-11e2-c29b-229c6786473e",
			SequenceNumber:   1,
			CommitTimestamp:  time.UnixMilli(1696444513000).UTC(),
			CommitNumber:     11657372702432,
			CommitUser:       "00558000000yFyDAAU",
			ChangedFields:    stringsOf(t, expandedInFixture),
			RawChangedFields: []string{"0x400000", "4-0x06"},
		},
		Fields: map[string]any{},
	}
	for name := range fixture.Payload {
		want.Fields[name] = nil
	}
	delete(want.Fields, "ChangeEventHeader")
	want.Fields["BillingAddress"] = map[string]any{
		"Street": nil, "City": "San Francisco", "State": "CA", "PostalCode": nil, "Country": nil,
		"StateCode": nil, "CountryCode": nil, "Latitude": nil, "Longitude": nil, "Xyz": nil, "GeocodeAccuracy": nil,
	}
	want.Fields["LastModifiedDate"] = time.Date(2023, 10, 4, 18, 35, 13, 0, time.UTC)
	assertEventEqual(t, got, want)
}

func stringsOf(t *testing.T, v any) []string {
	t.Helper()
	items, ok := v.([]any)
	if !ok {
		t.Fatalf("%#v is not a JSON array", v)
	}
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = item.(string)
	}
	return out
}

// commitNumberPast2To53 is 2^53 + 1: a float64 would round it to 2^53.
const commitNumberPast2To53 int64 = 1<<53 + 1

func emailHeader(changeType string, changed, nulled, diff []string) map[string]any {
	return map[string]any{
		"entityName": "EmailMessage", "recordIds": []string{"02s5j00000AbCdEAAZ"},
		"changeType": changeType, "changeOrigin": "com/salesforce/api/rest/61.0",
		"transactionKey": "0002a1b3-5c7d-8e9f-0a1b-2c3d4e5f6a7b", "sequenceNumber": 3,
		"commitTimestamp": int64(1717171717123), "commitNumber": commitNumberPast2To53,
		"commitUser":   "0055j000001AbCdAAK",
		"nulledFields": emptyIfNil(nulled), "diffFields": emptyIfNil(diff), "changedFields": emptyIfNil(changed),
	}
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestDecodeEmailMessageEventsExactly(t *testing.T) {
	t.Parallel()
	schemaJSON := mustReadFile(t, emailMessageSchemaPath)
	ms := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	tests := []struct {
		name       string
		payload    map[string]any
		wantHeader *ChangeEventHeader
		wantSet    map[string]any // every other field must be nil
	}{
		{
			name: "an update carries changed values, nulls elsewhere and expanded bitmaps",
			payload: map[string]any{
				"ChangeEventHeader": emailHeader(ChangeUpdate, []string{"0x10000400C", "33-0x06"}, []string{"0x4000"}, []string{"0x4"}),
				"TextBody":          "--- \n+++ 1f2e\n@@ -1 +1 @@\n-old\n+new\n",
				"HtmlBody":          "<p>new</p>",
				"LastModifiedDate":  int64(1717171717000),
				"ReturnAddress__c":  map[string]any{"City": "Zürich", "State": "ZH"},
			},
			wantHeader: &ChangeEventHeader{
				ChangeType:       ChangeUpdate,
				ChangedFields:    []string{"TextBody", "HtmlBody", "Status", "LastModifiedDate", "ReturnAddress__c.City", "ReturnAddress__c.State"},
				NulledFields:     []string{"Status"},
				DiffFields:       []string{"TextBody"},
				RawChangedFields: []string{"0x10000400C", "33-0x06"},
				RawNulledFields:  []string{"0x4000"},
				RawDiffFields:    []string{"0x4"},
			},
			wantSet: map[string]any{
				"TextBody":         "--- \n+++ 1f2e\n@@ -1 +1 @@\n-old\n+new\n",
				"HtmlBody":         "<p>new</p>",
				"LastModifiedDate": ms(1717171717000),
				"ReturnAddress__c": map[string]any{
					"Street": nil, "City": "Zürich", "State": "ZH", "PostalCode": nil, "Country": nil,
					"StateCode": nil, "CountryCode": nil, "Latitude": nil, "Longitude": nil, "GeocodeAccuracy": nil,
				},
			},
		},
		{
			name: "a create carries every field with its Go type",
			payload: map[string]any{
				"ChangeEventHeader": emailHeader(ChangeCreate, nil, nil, nil),
				"Subject":           "Re: order #42", "TextBody": "Hello <world> & \"friends\"\t✓", "HtmlBody": "<p>Hello</p>",
				"FromAddress": "a@example.com", "FromName": "A", "ToAddress": "b@example.com", "CcAddress": "c@example.com",
				"BccAddress": "d@example.com", "Headers": "X-Test: 1", "MessageDate": int64(-86_400_000),
				"ParentId": "5005j00000XyZabAAB", "ActivityId": "00T5j00000AbCdEAAZ", "RelatedToId": "0015j00000AbCdEAAZ",
				"Status": "3", "Incoming": true, "HasAttachment": false, "IsExternallyVisible": true,
				"MessageIdentifier": "<m1@example.com>", "ThreadIdentifier": "<t1@example.com>",
				"ReplyToEmailMessageId": "02s5j00000AbCdFAAZ", "ValidatedFromAddress": "a@example.com",
				"IsClientManaged": false, "IsTracked": true, "IsOpened": true,
				"FirstOpenedDate": int64(1717171718000), "LastOpenedDate": int64(1717171719001), "IsBounced": false,
				"EmailTemplateId": "00X5j000000AbCdEAA", "CreatedById": "0055j000001AbCdAAK", "CreatedDate": int64(1717171717000),
				"LastModifiedById": "0055j000001AbCdAAK", "LastModifiedDate": int64(1717171717000),
				"ReturnAddress__c": map[string]any{"Street": "1 Main St", "City": "Springfield", "State": "IL",
					"PostalCode": "62701", "Country": "United States", "StateCode": "IL", "CountryCode": "US",
					"Latitude": 39.7817, "Longitude": -89.6501, "GeocodeAccuracy": "Address"},
			},
			wantHeader: &ChangeEventHeader{ChangeType: ChangeCreate},
			wantSet: map[string]any{
				"Subject": "Re: order #42", "TextBody": "Hello <world> & \"friends\"\t✓", "HtmlBody": "<p>Hello</p>",
				"FromAddress": "a@example.com", "FromName": "A", "ToAddress": "b@example.com", "CcAddress": "c@example.com",
				"BccAddress": "d@example.com", "Headers": "X-Test: 1", "MessageDate": ms(-86_400_000),
				"ParentId": "5005j00000XyZabAAB", "ActivityId": "00T5j00000AbCdEAAZ", "RelatedToId": "0015j00000AbCdEAAZ",
				"Status": "3", "Incoming": true, "HasAttachment": false, "IsExternallyVisible": true,
				"MessageIdentifier": "<m1@example.com>", "ThreadIdentifier": "<t1@example.com>",
				"ReplyToEmailMessageId": "02s5j00000AbCdFAAZ", "ValidatedFromAddress": "a@example.com",
				"IsClientManaged": false, "IsTracked": true, "IsOpened": true,
				"FirstOpenedDate": ms(1717171718000), "LastOpenedDate": ms(1717171719001), "IsBounced": false,
				"EmailTemplateId": "00X5j000000AbCdEAA", "CreatedById": "0055j000001AbCdAAK", "CreatedDate": ms(1717171717000),
				"LastModifiedById": "0055j000001AbCdAAK", "LastModifiedDate": ms(1717171717000),
				"ReturnAddress__c": map[string]any{"Street": "1 Main St", "City": "Springfield", "State": "IL",
					"PostalCode": "62701", "Country": "United States", "StateCode": "IL", "CountryCode": "US",
					"Latitude": 39.7817, "Longitude": -89.6501, "GeocodeAccuracy": "Address"},
			},
		},
	}
	schema := compileFile(t, "emailmessage-v1", emailMessageSchemaPath)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replayID := []byte{0, 0, 0, 0, 0, 0x11, 0x22, 0x33}
			got, err := newTestDecoder(map[string]string{"emailmessage-v1": schemaJSON}).
				Decode(context.Background(), emailMessageTopic, consumerEventOf("emailmessage-v1", replayID, encodeJSON(t, schemaJSON, tt.payload)))
			if err != nil {
				t.Fatal(err)
			}
			header := *tt.wantHeader
			header.EntityName, header.RecordIDs = "EmailMessage", []string{"02s5j00000AbCdEAAZ"}
			header.ChangeOrigin, header.TransactionKey = "com/salesforce/api/rest/61.0", "0002a1b3-5c7d-8e9f-0a1b-2c3d4e5f6a7b"
			header.SequenceNumber, header.CommitTimestamp = 3, time.Date(2024, 5, 31, 16, 8, 37, 123e6, time.UTC)
			header.CommitNumber, header.CommitUser = commitNumberPast2To53, "0055j000001AbCdAAK"
			want := &Event{Topic: emailMessageTopic, ReplayID: replayID, SchemaID: "emailmessage-v1",
				EventUUID: "uuid-emailmessage-v1", Header: &header, Fields: map[string]any{}}
			for _, name := range schema.fields.names[1:] {
				want.Fields[name] = tt.wantSet[name]
			}
			assertEventEqual(t, got, want)
		})
	}
}

func TestDecodePlatformEventHasNoHeaderAndTypedFields(t *testing.T) {
	t.Parallel()
	schemaJSON := mustReadFile(t, platformEventSchemaPath)
	payload := encodeJSON(t, schemaJSON, map[string]any{
		"CreatedDate": int64(1717171717000), "CreatedById": "0055j000001AbCdAAK",
		"Case_Status__c": "Escalated", "RandomNumber__c": 0.5,
	})
	got, err := newTestDecoder(map[string]string{"pe-1": schemaJSON}).
		Decode(context.Background(), "/event/Case__e", consumerEventOf("pe-1", []byte{7}, payload))
	if err != nil {
		t.Fatal(err)
	}
	assertEventEqual(t, got, &Event{
		Topic: "/event/Case__e", ReplayID: []byte{7}, SchemaID: "pe-1", EventUUID: "uuid-pe-1",
		Fields: map[string]any{
			"CreatedDate": time.UnixMilli(1717171717000).UTC(), "CreatedById": "0055j000001AbCdAAK",
			"Case_Status__c": "Escalated", "RandomNumber__c": 0.5,
		},
	})
}

// A schema exercising every normalisation path: nested compound records,
// arrays and maps of unions, doc-typed longs and a logical timestamp.
const normalisationSchema = `{
  "type": "record", "name": "Widget__e", "namespace": "com.sforce.eventbus",
  "fields": [
    {"name": "Count__c", "type": ["null", "long"], "default": null},
    {"name": "ExpirationDate", "type": ["null", "long"], "doc": "Data:Number:00N000000000001", "default": null},
    {"name": "Started", "type": "long", "doc": "Started:DateTime"},
    {"name": "Renewal_Date__c", "type": ["null", "long"], "default": null},
    {"name": "CompletedDateTime", "type": ["null", "long"], "default": null},
    {"name": "Logged", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "Outer", "type": ["null", {"type": "record", "name": "Outer", "fields": [
      {"name": "Label", "type": ["null", "string"], "default": null},
      {"name": "Inner", "type": ["null", {"type": "record", "name": "Inner", "fields": [
        {"name": "SeenDate", "type": ["null", "long"], "default": null},
        {"name": "Tags", "type": {"type": "array", "items": ["null", "string"]}}]}], "default": null}]}], "default": null},
    {"name": "Scores", "type": {"type": "map", "values": ["null", "double"]}},
    {"name": "Choice", "type": ["null", "string", "long", "Inner"], "default": null},
    {"name": "Raw", "type": ["null", "bytes"], "default": null}
  ]}`

func TestDecodeFlattensUnionsAtEveryDepthAndAppliesTheDateTimeRule(t *testing.T) {
	t.Parallel()
	schema, err := CompileSchema("widget", normalisationSchema)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(normalisationSchema)
	if err != nil {
		t.Fatal(err)
	}
	logged := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("CET", 3600))
	inner := map[string]any{"SeenDate": goavro.Union("long", int64(1000)), "Tags": []any{goavro.Union("string", "a"), nil}}
	native := map[string]any{
		"Count__c": goavro.Union("long", int64(9_007_199_254_740_993)), "ExpirationDate": goavro.Union("long", int64(20)),
		"Started": int64(0), "Renewal_Date__c": goavro.Union("long", int64(86_400_000)),
		"CompletedDateTime": goavro.Union("long", int64(1)), "Logged": logged,
		"Outer":  goavro.Union("com.sforce.eventbus.Outer", map[string]any{"Label": nil, "Inner": goavro.Union("com.sforce.eventbus.Inner", inner)}),
		"Scores": map[string]any{"x": goavro.Union("double", 1.5), "y": nil},
		"Choice": goavro.Union("com.sforce.eventbus.Inner", map[string]any{"SeenDate": nil, "Tags": []any{}}),
		"Raw":    goavro.Union("bytes", []byte{1, 2}),
	}
	payload, err := codec.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	event, poison := schema.decodeEvent(payload)
	if poison != nil {
		t.Fatal(poison)
	}
	want := map[string]any{
		"Count__c": int64(9_007_199_254_740_993), "ExpirationDate": int64(20),
		"Started": time.Unix(0, 0).UTC(), "Renewal_Date__c": time.Unix(86_400, 0).UTC(),
		"CompletedDateTime": time.UnixMilli(1).UTC(), "Logged": logged.UTC(),
		"Outer": map[string]any{"Label": nil, "Inner": map[string]any{
			"SeenDate": time.UnixMilli(1000).UTC(), "Tags": []any{"a", nil}}},
		"Scores": map[string]any{"x": 1.5, "y": nil},
		"Choice": map[string]any{"SeenDate": nil, "Tags": []any{}},
		"Raw":    []byte{1, 2},
	}
	assertEventEqual(t, event, &Event{Fields: want})
	if event.Header != nil {
		t.Errorf("a schema without ChangeEventHeader got header %+v", event.Header)
	}
}

func TestDateTimeRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      bool
	}{
		{"CreatedDate", "", true},
		{"LastModifiedDate", "", true},
		{"MessageDate", "", true},
		{"ActivityDate", "", true},
		{"Renewal_Date__c", "", true},
		{"RenewalDate__c", "", true},
		{"CompletedDateTime", "", true},
		{"SystemModstamp", "", true},
		{"CreatedDate", "CreatedDate:DateTime", true},
		{"Anything", "Data:DateTime:00N000000000001", true},
		{"Due", "Data:Date:00N000000000001", true},
		{"ExpirationDate", "Data:Number:00N000000000001", false},
		{"CreatedDate", "CreatedBy:EntityId", false},
		{"NumberOfEmployees", "", false},
		{"Update__c", "", false},
		{"Datetime", "", false},
		{"Count__c", "free text without a type", false},
		{"LastModifiedDate", "free text without a type", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s with doc %q", tt.name, tt.doc), func(t *testing.T) {
			if got := isDateTimeField(tt.name, tt.doc); got != tt.want {
				t.Errorf("isDateTimeField(%q, %q) = %v, want %v", tt.name, tt.doc, got, tt.want)
			}
		})
	}
}

// forgedBlockCountPayload is "entityName = E" then a recordIds array that
// claims 10 million items and ends.
func forgedBlockCountPayload() []byte {
	payload := []byte{0x02, 'E'}
	return binary.AppendVarint(payload, 10_000_000)
}

func TestDecodeTurnsBadEventsIntoPoisonErrors(t *testing.T) {
	t.Parallel()
	schemaJSON := mustReadFile(t, emailMessageSchemaPath)
	valid := encodeJSON(t, schemaJSON, map[string]any{"ChangeEventHeader": emailHeader(ChangeUpdate, []string{"0x100000000"}, nil, nil)})
	encodeWithHeader := func(header map[string]any) []byte {
		return encodeJSON(t, schemaJSON, map[string]any{"ChangeEventHeader": header})
	}
	tests := []struct {
		name       string
		event      *eventbusv1.ConsumerEvent
		wantReason string
		wantCause  error
	}{
		{"an event without producer event", &eventbusv1.ConsumerEvent{ReplayId: []byte{1}}, ReasonMissingPayload, nil},
		{"an event without payload", consumerEventOf("em", []byte{1}, nil), ReasonMissingPayload, nil},
		{"an event without schema ID", consumerEventOf("", []byte{1}, valid), ReasonMissingSchemaID, nil},
		{"a truncated payload", consumerEventOf("em", []byte{1}, valid[:len(valid)-3]), ReasonUndecodablePayload, nil},
		{"a payload with a trailing byte", consumerEventOf("em", []byte{1}, append(slices.Clone(valid), 0)), ReasonTrailingBytes, nil},
		{"a forged array block count", consumerEventOf("em", []byte{1}, forgedBlockCountPayload()), ReasonUndecodablePayload, nil},
		{"a bad union index", consumerEventOf("em", []byte{1}, append(slices.Clone(valid[:len(valid)-34]), bytes.Repeat([]byte{0x7e}, 34)...)), ReasonUndecodablePayload, nil},
		{"a changed-fields bit beyond the schema", consumerEventOf("em", []byte{1}, encodeWithHeader(emailHeader(ChangeUpdate, []string{"0x800000000"}, nil, nil))), ReasonMalformedBitmap, ErrBitmapMismatch},
		{"a nulled-fields entry that is no bitmap", consumerEventOf("em", []byte{1}, encodeWithHeader(emailHeader(ChangeUpdate, nil, []string{"Status"}, nil))), ReasonMalformedBitmap, ErrMalformedBitmap},
		{"a diff-fields position that is no compound", consumerEventOf("em", []byte{1}, encodeWithHeader(emailHeader(ChangeUpdate, nil, nil, []string{"2-0x1"}))), ReasonMalformedBitmap, ErrBitmapMismatch},
		{"a header without entity name", consumerEventOf("em", []byte{1}, encodeWithHeader(func() map[string]any {
			h := emailHeader(ChangeUpdate, nil, nil, nil)
			h["entityName"] = ""
			return h
		}())), ReasonMalformedHeader, nil},
	}
	decoder := newTestDecoder(map[string]string{"em": schemaJSON})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event, err := decoder.Decode(context.Background(), emailMessageTopic, tt.event)
			var poison *PoisonError
			if !errors.As(err, &poison) {
				t.Fatalf("Decode = %v, %v; want a *PoisonError", event, err)
			}
			if poison.Reason != tt.wantReason || !bytes.Equal(poison.ReplayID, []byte{1}) || poison.SchemaID != tt.event.GetEvent().GetSchemaId() {
				t.Errorf("poison = reason %q, replay %x, schema %q; want %q, 01, %q", poison.Reason, poison.ReplayID, poison.SchemaID, tt.wantReason, tt.event.GetEvent().GetSchemaId())
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("error %v does not wrap %v", err, tt.wantCause)
			}
			if event != nil {
				t.Errorf("Decode returned event %+v with its error", event)
			}
		})
	}
}

func TestDecodeReportsSchemaTroubleApartFromPoison(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		schemaJSON string
		want       error
	}{
		{"an ID the source does not know", "", ErrUnknownSchema},
		{"a schema that is not JSON", "{", ErrInvalidSchema},
		{"a schema that is not a record", `{"type": "array", "items": "string"}`, ErrInvalidSchema},
		{"a schema goavro rejects", `{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}`, ErrInvalidSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schemas := map[string]string{}
			if tt.schemaJSON != "" {
				schemas["s1"] = tt.schemaJSON
			}
			_, err := newTestDecoder(schemas).Decode(context.Background(), "/data/X", consumerEventOf("s1", []byte{1}, []byte{2, 'E'}))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want one wrapping %v", err, tt.want)
			}
			var poison *PoisonError
			if errors.As(err, &poison) {
				t.Errorf("schema trouble reported as poison: %v", err)
			}
		})
	}
}

func TestGoavroAllocationCapsAreSetAtStartUp(t *testing.T) {
	t.Parallel()
	if goavro.MaxBlockCount != maxAvroBlockCount || goavro.MaxBlockSize != maxAvroBlockSize {
		t.Errorf("goavro caps = %d items, %d bytes; want %d, %d", goavro.MaxBlockCount, goavro.MaxBlockSize, maxAvroBlockCount, maxAvroBlockSize)
	}
}

// Without the caps this 10-byte payload makes goavro allocate 160 MB.
func TestForgedBlockCountAllocatesLittleBeforeFailing(t *testing.T) {
	schema := compileFile(t, "em", emailMessageSchemaPath)
	payload := forgedBlockCountPayload()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, poison := schema.decodeEvent(payload)
	runtime.ReadMemStats(&after)
	if poison == nil || poison.Reason != ReasonUndecodablePayload {
		t.Fatalf("decode of a forged block count = %v, want an undecodable-payload poison", poison)
	}
	const limit = 2 << 20
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > limit {
		t.Errorf("decode allocated %d bytes, want at most %d", allocated, limit)
	}
}
