package mapper

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const exampleYAML = `
objects:
  - object: EmailMessage
    topic: /data/EmailMessageChangeEvent
    fields: [Subject, TextBody, HtmlBody, FromAddress, ToAddress, CcAddress, MessageDate, ParentId, Parent.CaseNumber, Status]
    comment:
      id: Id
      thread_id: ParentId
      timestamp: MessageDate
      subject: Subject
      body: [TextBody, HtmlBody]
      html: HtmlBody
      from: FromAddress
      to: ToAddress
      cc: CcAddress
      sent_at: MessageDate
      properties: {"Case Number": Parent.CaseNumber, Status: Status}
    on_delete: delete
  - object: Case
  - object: CaseComment
  - object: Task
    on_delete: keep
`

func TestTheDocumentedYAMLExampleDecodesAndValidates(t *testing.T) {
	var cfg Config
	if err := yaml.Unmarshal([]byte(exampleYAML), &cfg); err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs := m.Objects()
	if len(objs) != 4 || objs[0].Comment.Timestamp[0] != "MessageDate" || objs[0].Comment.HTML[0] != "HtmlBody" {
		t.Fatalf("decoded %+v", objs)
	}
	if objs[1].Topic != "/data/CaseChangeEvent" || objs[1].Comment.Body[0] != "Description" || objs[1].OnDelete != DeleteComment {
		t.Errorf("Case did not take its defaults: %+v", objs[1])
	}
	if objs[3].OnDelete != KeepComment || objs[3].Comment.Subject != "Subject" {
		t.Errorf("Task: %+v", objs[3])
	}
}

func TestDefaultTopicsFollowSalesforceChannelNames(t *testing.T) {
	for object, want := range map[string]string{
		"Case": "/data/CaseChangeEvent", "Ticket__c": "/data/Ticket__ChangeEvent",
	} {
		if got := DefaultTopic(object); got != want {
			t.Errorf("DefaultTopic(%s) = %s, want %s", object, got, want)
		}
	}
}

func TestValidationErrorsNameTheKeyAndTheFix(t *testing.T) {
	// huge is 64 times the 1,000 bytes an error may have and 256 times
	// the 255 bytes a name may have: enough to prove a value is quoted
	// cut. It was 50 MB, which cost seconds under -race scanning names
	// the test is not about (as uploader's config test found).
	const huge = 64 << 10
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"an object needs a name", Config{Objects: []ObjectMapping{{}}},
			[]string{"objects[0].object: required", "object: EmailMessage"}},
		{"an object name must be an API name", Config{Objects: []ObjectMapping{{Object: "Email Message"}}},
			[]string{`objects[0] ("Email Message").object`, "letters, digits and underscores"}},
		{"an object appears once", Config{Objects: []ObjectMapping{{Object: "Case"}, {Object: "Case"}}},
			[]string{"objects[1] (Case).object", "already mapped by objects[0]", "merge"}},
		{"a custom object needs a body", Config{Objects: []ObjectMapping{{Object: "Ticket__c"}}},
			[]string{"objects[0] (Ticket__c).comment.body: required", "body: [Description__c]"}},
		{"the delete policy is delete or keep", Config{Objects: []ObjectMapping{{Object: "Case", OnDelete: "archive"}}},
			[]string{"objects[0] (Case).on_delete", "use delete or keep"}},
		{"a topic must be a channel", Config{Objects: []ObjectMapping{{Object: "Case", Topic: "CaseChangeEvent"}}},
			[]string{"objects[0] (Case).topic", "/data/"}},
		{"field names are API names or paths", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Subject: "Sub ject"}}}},
			[]string{"comment.subject", "Parent.CaseNumber"}},
		{"a property name carries no type prefix", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Properties: map[string]string{"number:Amount": "Amount"}}}}},
			[]string{`comment.properties["number:Amount"]`, "put it on the field"}},
		{"reserved property names are refused", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Properties: map[string]string{"Truncated": "Status"}}}}},
			[]string{`properties["Truncated"]`, "reserved"}},
		{"a property needs a field", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Properties: map[string]string{"Amount": "number:"}}}}},
			[]string{`properties["Amount"]`, "number:Amount"}},
		{"a 64 KiB object name is refused without being repeated", Config{Objects: []ObjectMapping{{Object: strings.Repeat("O", huge)}}},
			[]string{`objects[0] ("OOOO`, "… (65536 bytes)", "at most 255 bytes"}},
		{"a 64 KiB field name is refused without being repeated", Config{Objects: []ObjectMapping{{Object: "Case", Fields: []string{strings.Repeat("F", huge)}}}},
			[]string{`objects[0] (Case).fields[0]: "FFFF`, "… (65536 bytes) is not a field name"}},
		{"a 64 KiB topic is refused without being repeated", Config{Objects: []ObjectMapping{{Object: "Case", Topic: strings.Repeat("/", huge)}}},
			[]string{"objects[0] (Case).topic", "… (65536 bytes) is not a channel"}},
		{"a 64 KiB property is refused without being repeated", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Properties: map[string]string{strings.Repeat("P", huge): strings.Repeat(" ", huge)}}}}},
			[]string{"comment.properties[\"PPPP", "… (65536 bytes)]: \"    "}},
		{"body entries must not be empty", Config{Objects: []ObjectMapping{{Object: "Case", Comment: CommentMapping{Body: FieldList{""}}}}},
			[]string{"comment.body[0]: empty field name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil {
				t.Fatal("Validate accepted an invalid configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %.2000q does not mention %q", err, w)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the error has %d bytes; values must be quoted cut", len(err.Error()))
			}
		})
	}
}

func TestTheZeroConfigurationIsValidAndMapsNothing(t *testing.T) {
	m, err := New(Config{})
	if err != nil || len(m.Objects()) != 0 {
		t.Errorf("New(Config{}) = %v, %v", m, err)
	}
}

func TestUserKeysOverrideBuiltInDefaultsKeyByKey(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "Case", Comment: CommentMapping{Subject: "Reason",
		Properties: map[string]string{"Status": "string:Status__c", "Type": "Type"}}})
	om := m.Objects()[0]
	if om.Comment.Subject != "Reason" || om.Comment.Body[0] != "Description" ||
		om.Comment.Properties["Status"] != "string:Status__c" || om.Comment.Properties["Case Number"] != "CaseNumber" ||
		om.Comment.Properties["Type"] != "Type" {
		t.Errorf("merged mapping: %+v", om.Comment)
	}
}

func TestFieldListsAcceptOneNameOrAList(t *testing.T) {
	var cm CommentMapping
	if err := yaml.Unmarshal([]byte("body: Description\nhtml: [A, B]\n"), &cm); err != nil {
		t.Fatal(err)
	}
	if len(cm.Body) != 1 || cm.Body[0] != "Description" || len(cm.HTML) != 2 {
		t.Errorf("YAML decoded %+v", cm)
	}
	if err := json.Unmarshal([]byte(`{"body":"Description","timestamp":["A","B"]}`), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Body[0] != "Description" || len(cm.Timestamp) != 2 {
		t.Errorf("JSON decoded %+v", cm)
	}
	if err := json.Unmarshal([]byte(`{"body":3}`), &cm); err == nil {
		t.Error("a number was accepted as a field list")
	}
}
