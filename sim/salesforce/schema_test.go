package salesforce

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
)

func parseSchemaJSON(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return m
}

func schemaFields(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, f := range m["fields"].([]any) {
		out = append(out, f.(map[string]any))
	}
	return out
}

func TestAccountSchemaIsTheRealEventsSchema(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	s, _ := org.CurrentSchema("Account")
	var want map[string]any
	readFixtureJSON(t, "AccountChangeEvent.reconstructed.avsc.json", &want)
	if got := parseSchemaJSON(t, s.JSON); !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("Account schema differs from the fixture:\n%s", gotJSON)
	}
}

func TestEveryChangeEventSchemaHasSalesforcesShape(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{
		CaseCommentChangeEvents: true,
		CustomObjects:           []CustomObject{{Name: "Invoice__c", Fields: []FieldSpec{{Name: "Amount__c", Type: TypeDouble}}}},
	})
	for _, obj := range org.Objects() {
		t.Run(obj.Name, func(t *testing.T) {
			s, ok := org.CurrentSchema(obj.Name)
			if !ok {
				t.Fatalf("no schema")
			}
			if _, err := goavro.NewCodec(s.JSON); err != nil {
				t.Fatalf("goavro rejects the schema: %v", err)
			}
			m := parseSchemaJSON(t, s.JSON)
			if m["namespace"] != EventNamespace || m["name"] != obj.ChangeEventName() {
				t.Errorf("record is %v.%v, want %s.%s", m["namespace"], m["name"], EventNamespace, obj.ChangeEventName())
			}
			fields := schemaFields(m)
			if fields[0]["name"] != "ChangeEventHeader" {
				t.Errorf("field 0 is %v, want ChangeEventHeader", fields[0]["name"])
			}
			for _, f := range fields[1:] {
				checkNullableField(t, f)
			}
		})
	}
}

// checkNullableField: ["null", T] with default null, and never a field
// Salesforce leaves out of change events.
func checkNullableField(t *testing.T, f map[string]any) {
	t.Helper()
	name := f["name"].(string)
	if slices.Contains([]string{"Id", "IsDeleted", "SystemModstamp"}, name) {
		t.Errorf("field %s must not be in a change event", name)
	}
	union, ok := f["type"].([]any)
	if !ok || len(union) != 2 || union[0] != "null" {
		t.Errorf("field %s has type %v, want [\"null\", T]", name, f["type"])
	}
	if d, has := f["default"]; !has || d != nil {
		t.Errorf("field %s has no null default", name)
	}
}

func TestHeaderFieldsComeInTheDocumentedOrder(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	s, _ := org.CurrentSchema("Case")
	header := schemaFields(parseSchemaJSON(t, s.JSON))[0]["type"].(map[string]any)
	var names []string
	for _, f := range schemaFields(header) {
		names = append(names, f["name"].(string))
	}
	want := "entityName recordIds changeType changeOrigin transactionKey sequenceNumber commitTimestamp commitNumber commitUser nulledFields diffFields changedFields"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("header fields:\n got %s\nwant %s", got, want)
	}
}

func TestSecondAddressOfAnObjectReferencesTheFirstByName(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	s, _ := org.CurrentSchema("Account")
	pos, _ := s.Position("ShippingAddress")
	f := schemaFields(parseSchemaJSON(t, s.JSON))[pos]
	if !reflect.DeepEqual(f["type"], []any{"null", "Address"}) {
		t.Errorf("ShippingAddress type is %v, want [null Address]", f["type"])
	}
}

func TestCustomObjectsGetDoubleUnderscoreChangeEventNames(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{CustomObjects: []CustomObject{{Name: "Invoice__c", KeyPrefix: "a0X"}}})
	obj, _ := org.Object("Invoice__c")
	if obj.ChangeEventName() != "Invoice__ChangeEvent" || obj.ChangeEventChannel() != "/data/Invoice__ChangeEvent" {
		t.Errorf("names are %s and %s", obj.ChangeEventName(), obj.ChangeEventChannel())
	}
	id := createForTest(t, org, "Invoice__c", Values{"Name": "INV-1"})
	if KeyPrefix(id) != "a0X" {
		t.Errorf("record ID %s does not start with the configured prefix a0X", id)
	}
}

func TestSchemaIDsLookLikeSalesforcesAndAreStable(t *testing.T) {
	t.Parallel()
	a, _ := newOrgForTest(t, Config{Seed: 1})
	b, _ := newOrgForTest(t, Config{Seed: 2})
	shape := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	for _, obj := range a.Objects() {
		sa, ok := a.CurrentSchema(obj.Name)
		if !ok {
			continue
		}
		sb, _ := b.CurrentSchema(obj.Name)
		if !shape.MatchString(sa.ID) {
			t.Errorf("%s schema ID %q is not 22 URL-safe base64 characters", obj.Name, sa.ID)
		}
		if sa.ID != sb.ID {
			t.Errorf("%s schema ID differs between orgs with the same fields: %s vs %s", obj.Name, sa.ID, sb.ID)
		}
	}
}

func TestAddingAFieldMakesANewSchemaAndKeepsTheOldResolvable(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	old, _ := org.CurrentSchema("Case")
	caseID := createForTest(t, org, "Case", Values{"Subject": "before"})

	newID, err := org.AddField("Case", FieldSpec{Name: "Sentiment__c", Type: TypePicklist})
	if err != nil {
		t.Fatalf("AddField: %v", err)
	}
	if newID == old.ID {
		t.Fatalf("schema ID did not change after adding a field")
	}
	if _, ok := org.Bus().Schema(old.ID); !ok {
		t.Errorf("old schema %s is no longer resolvable", old.ID)
	}
	cm := commitForTest(t, org, func(tx *Tx) error { return tx.Update(caseID, Values{"Sentiment__c": "Negative"}) })
	ev := cm.Events[0]
	if ev.SchemaID != newID {
		t.Errorf("event after the change uses schema %s, want %s", ev.SchemaID, newID)
	}
	if got := decodeOrgEvent(t, org, ev).Body["Sentiment__c"]; got != "Negative" {
		t.Errorf("new field decodes as %v", got)
	}
	fields := schemaFields(parseSchemaJSON(t, org.Bus().mustSchema(t, newID)))
	if last := fields[len(fields)-1]["name"]; last != "Sentiment__c" {
		t.Errorf("new field is not appended last; last is %v", last)
	}
	if org.TopicSchemaID("/data/CaseChangeEvent") != newID {
		t.Errorf("topic schema ID is not the new one")
	}
}

func (b *Bus) mustSchema(t *testing.T, id string) string {
	t.Helper()
	js, ok := b.Schema(id)
	if !ok {
		t.Fatalf("schema %s not registered", id)
	}
	return js
}

func TestAddFieldRejectsBadDeclarations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		object string
		spec   FieldSpec
	}{
		{"a name without __c", "Case", FieldSpec{Name: "Mood", Type: TypeString}},
		{"an existing field", "Case", FieldSpec{Name: "Sentiment__c", Type: TypeString}},
		{"a compound type", "Case", FieldSpec{Name: "Where__c", Type: TypeAddress}},
		{"an unknown type", "Case", FieldSpec{Name: "X__c", Type: "currency"}},
		{"an unknown object", "Lead", FieldSpec{Name: "X__c", Type: TypeString}},
	}
	org, _ := newOrgForTest(t, Config{CustomFields: []CustomField{{Object: "Case", FieldSpec: FieldSpec{Name: "Sentiment__c", Type: TypeString}}}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := org.AddField(tt.object, tt.spec); err == nil {
				t.Errorf("AddField(%s, %+v) succeeded", tt.object, tt.spec)
			}
		})
	}
}
