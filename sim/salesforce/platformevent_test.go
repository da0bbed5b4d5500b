package salesforce

import (
	"reflect"
	"testing"
)

func TestPlatformEventSchemaHasTheRealShape(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	id, err := org.DeclarePlatformEvent(PlatformEvent{Name: "Case__e", Fields: []FieldSpec{
		{Name: "Case_Status__c", Type: TypeString}, {Name: "RandomNumber__c", Type: TypeDouble},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	readFixtureJSON(t, "platform-event-Case__e.conduit-testdata.avsc.json", &want)
	got := parseSchemaJSON(t, org.Bus().mustSchema(t, id))
	// Field IDs in doc strings are org-specific: compare everything else.
	for _, m := range []map[string]any{want, got} {
		for _, f := range schemaFields(m)[2:] {
			f["doc"] = f["doc"].(string)[:len(f["doc"].(string))-15]
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema\n got %v\nwant %v", got, want)
	}
	if org.TopicSchemaID("/event/Case__e") != id {
		t.Errorf("topic schema is not the declared one")
	}
}

func TestEncodedPlatformEventDecodesWithItsSchema(t *testing.T) {
	t.Parallel()
	org, clock := newOrgForTest(t, Config{PlatformEvents: []PlatformEvent{{Name: "Alert__e", Fields: []FieldSpec{{Name: "Message__c", Type: TypeString}, {Name: "Level__c", Type: TypeInt}}}}})
	payload, id, err := org.EncodePlatformEvent("Alert__e", Values{"Message__c": "disk full", "Level__c": 3})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := org.Schema(id)
	native, _, err := s.Codec().NativeFromBinary(payload)
	if err != nil {
		t.Fatal(err)
	}
	rec := native.(map[string]any)
	if rec["CreatedDate"] != clock.Now().UnixMilli() || unwrapAvroUnion(rec["Message__c"]) != "disk full" || unwrapAvroUnion(rec["Level__c"]) != int32(3) {
		t.Errorf("decoded %v", rec)
	}
	if _, _, err := org.EncodePlatformEvent("Alert__e", Values{"Nope__c": 1}); err == nil {
		t.Error("unknown field accepted")
	}
	if _, _, err := org.EncodePlatformEvent("Case", nil); err == nil {
		t.Error("a change event entity was encoded as a platform event")
	}
}
