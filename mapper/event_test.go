package mapper

import (
	"errors"
	"testing"
)

func TestPlanEventSaysWhenARESTFetchIsNeeded(t *testing.T) {
	m := mustMapper(t,
		ObjectMapping{Object: "CaseComment"},
		ObjectMapping{Object: "EmailMessage", Comment: CommentMapping{Properties: map[string]string{"Case Number": "Parent.CaseNumber"}}},
		ObjectMapping{Object: "Task", OnDelete: KeepComment},
		ObjectMapping{Object: "Place__c", Comment: CommentMapping{Body: FieldList{"Note__c"}, Properties: map[string]string{"City": "Addr__c.City"}}},
	)
	allCaseComment := []string{"CommentBody", "ParentId", "IsPublished", "CreatedDate"}
	tests := []struct {
		name string
		ev   ChangeEvent
		want Step
	}{
		{"a create carrying every field maps from the event",
			ChangeEvent{Object: "CaseComment", ChangeType: "CREATE", PresentFields: allCaseComment}, StepMapEvent},
		{"a create missing a field (field-level security) is fetched",
			ChangeEvent{Object: "CaseComment", ChangeType: "CREATE", PresentFields: []string{"CommentBody", "ParentId", "CreatedDate"}}, StepFetch},
		{"an undelete is treated like a create",
			ChangeEvent{Object: "CaseComment", ChangeType: "UNDELETE", PresentFields: allCaseComment}, StepMapEvent},
		{"a create needing a relationship field is fetched",
			ChangeEvent{Object: "EmailMessage", ChangeType: "CREATE", PresentFields: []string{"Subject", "TextBody", "HtmlBody", "FromAddress", "ToAddress", "CcAddress", "MessageDate", "CreatedDate", "ParentId", "Status", "Incoming"}}, StepFetch},
		{"a compound field component in the event is enough",
			ChangeEvent{Object: "Place__c", ChangeType: "CREATE", PresentFields: []string{"Note__c", "Addr__c", "CreatedDate"}}, StepMapEvent},
		{"an update touching no mapped field is skipped",
			ChangeEvent{Object: "CaseComment", ChangeType: "UPDATE", ChangedFields: []string{"LastModifiedDate", "SystemNote__c"}, PresentFields: allCaseComment}, StepSkip},
		{"an update leaving a mapped field out is fetched",
			ChangeEvent{Object: "CaseComment", ChangeType: "UPDATE", ChangedFields: []string{"CommentBody", "LastModifiedDate"}, PresentFields: allCaseComment}, StepFetch},
		{"an update changing every mapped field maps from the event",
			ChangeEvent{Object: "CaseComment", ChangeType: "UPDATE", ChangedFields: []string{"CommentBody", "ParentId", "CreatedDate"}, NulledFields: []string{"IsPublished"}, PresentFields: allCaseComment}, StepMapEvent},
		{"a field sent as a diff is fetched",
			ChangeEvent{Object: "CaseComment", ChangeType: "UPDATE", ChangedFields: []string{"CommentBody", "ParentId", "CreatedDate", "IsPublished"}, DiffFields: []string{"CommentBody"}, PresentFields: allCaseComment}, StepFetch},
		{"a diff-only change still counts as touching the field",
			ChangeEvent{Object: "CaseComment", ChangeType: "UPDATE", DiffFields: []string{"CommentBody"}, PresentFields: allCaseComment}, StepFetch},
		{"a compound component change counts for the mapped component",
			ChangeEvent{Object: "Place__c", ChangeType: "UPDATE", ChangedFields: []string{"Addr__c.City"}, PresentFields: []string{"Note__c", "Addr__c", "CreatedDate"}}, StepFetch},
		{"gap events are fetched", ChangeEvent{Object: "Task", ChangeType: "GAP_UPDATE"}, StepFetch},
		{"a gap delete is fetched to verify it", ChangeEvent{Object: "Task", ChangeType: "GAP_DELETE"}, StepFetch},
		{"an overflow event asks for a backfill", ChangeEvent{Object: "Task", ChangeType: "GAP_OVERFLOW"}, StepBackfill},
		{"a delete deletes the comment", ChangeEvent{Object: "CaseComment", ChangeType: "DELETE"}, StepDelete},
		{"a delete with on_delete keep is skipped", ChangeEvent{Object: "Task", ChangeType: "DELETE"}, StepSkip},
		{"an unknown change type is fetched to be safe", ChangeEvent{Object: "Task", ChangeType: "SNAPSHOT"}, StepFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.PlanEvent(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got.Step != tt.want {
				t.Errorf("PlanEvent = %v (%s), want %v", got.Step, got.Reason, tt.want)
			}
		})
	}
	if _, err := m.PlanEvent(ChangeEvent{Object: "Lead", ChangeType: "CREATE"}); !errors.Is(err, ErrUnknownObject) {
		t.Errorf("unknown object: %v, want ErrUnknownObject", err)
	}
}
